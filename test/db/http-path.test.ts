/**
 * The HTTP path (src/db/client.ts): the real driver and drizzle-orm/neon-http against the local
 * SQL-over-HTTP endpoint on this file's database. `runAs` on it must give every statement the
 * signed context in the same transaction, leave none behind on the endpoint's pooled
 * connections, keep a batch all-or-nothing, and turn a slow or absent database into the same
 * errors the Pool path gives.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  createDb,
  DatabaseTimeoutError,
  type DbHandle,
  isDatabaseUnavailable,
  isHttpDatabase,
} from "../../src/db/client";
import { auditLogs, users } from "../../src/db/schema";
import { runAs, SYSTEM } from "../../src/db/transaction";
import { testEnv } from "../support/env";
import { admin, newUser, runtimeUrl } from "./support";

const handles: DbHandle[] = [];
function open(opts: { url?: string; endpoint?: string; timeoutMs?: number } = {}) {
  const handle = createDb({
    url: opts.url ?? runtimeUrl(),
    wsProxy: testEnv.NEON_WS_PROXY,
    httpEndpoint: opts.endpoint ?? testEnv.NEON_HTTP_ENDPOINT,
    timeoutMs: opts.timeoutMs ?? 5_000,
    contextSecret: testEnv.DB_CONTEXT_SECRET,
  });
  handles.push(handle);
  return handle;
}

const CONTEXT = sql`select app_role() as role, app_user_id()::text as user_id`;

describe("the HTTP path", () => {
  it("is a distinct handle from the Pool's, recognised as such", () => {
    const { db, http } = open();
    expect(isHttpDatabase(http)).toBe(true);
    expect(isHttpDatabase(db)).toBe(false);
  });

  it("runAs gives each statement the actor's context; RLS applies as on the Pool path", async () => {
    const me = await newUser();
    const other = await newUser();
    const { http } = open();
    const actor = { userId: me, role: "student" as const };
    const seen = await runAs(http, actor, (q) => q.select({ id: users.id }).from(users));
    expect(seen).toEqual([{ id: me }]);
    // Another statement in the same runAs is its own round trip, with the context again.
    const [context] = await runAs(http, actor, async (q) => (await q.execute(CONTEXT)).rows);
    expect(context).toEqual({ role: "student", user_id: me });
    const others = await runAs(http, actor, (q) =>
      q.select().from(users).where(eq(users.id, other)),
    );
    expect(others).toEqual([]);
  });

  it("leaves no context behind on the endpoint's pooled connections", async () => {
    await newUser();
    const { http } = open();
    // Enough sequential statements to reuse every pooled connection of the endpoint.
    for (let i = 0; i < 12; i++) {
      await runAs(http, SYSTEM, (q) => q.select({ id: users.id }).from(users));
      const [bare] = (await http.execute(CONTEXT)).rows;
      expect(bare).toEqual({ role: "anonymous", user_id: null });
      expect(await http.select().from(users)).toEqual([]);
    }
  });

  it("a batch is one transaction: a failing statement undoes the ones before it", async () => {
    const me = await newUser();
    const { http } = open();
    const marker = `batch-${crypto.randomUUID()}`;
    await expect(
      runAs(http, SYSTEM, (q) =>
        q.batch([
          q.update(users).set({ fullName: marker }).where(eq(users.id, me)),
          q.execute(sql`select 1 / 0`),
        ]),
      ),
    ).rejects.toMatchObject({ code: "22012" });
    const [row] = await admin<{ full_name: string }>("select full_name from users where id = $1", [
      me,
    ]);
    expect(row?.full_name).not.toBe(marker);

    const [, count] = await runAs(http, SYSTEM, (q) =>
      q.batch([
        q.update(users).set({ fullName: marker }).where(eq(users.id, me)),
        q.select({ n: sql<number>`count(*)::int` }).from(users).where(eq(users.fullName, marker)),
      ]),
    );
    // The second statement saw the first one's write: same transaction.
    expect(count).toEqual([{ n: 1 }]);
  });

  it("an audit row written over HTTP gets its chain hash from the trigger, as on the Pool", async () => {
    const { http } = open();
    const action = `test.http.${crypto.randomUUID().slice(0, 8)}`;
    await runAs(http, SYSTEM, (q) => q.insert(auditLogs).values({ action, entityType: "test" }));
    const [row] = await admin<{ row_hash: string | null }>(
      "select row_hash from audit_logs where action = $1",
      [action],
    );
    expect(row?.row_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a context signed with a secret the database does not hold is refused", async () => {
    const handle = createDb({
      url: runtimeUrl(),
      httpEndpoint: testEnv.NEON_HTTP_ENDPOINT,
      timeoutMs: 5_000,
      contextSecret: "a-secret-the-database-does-not-hold-0123456789",
    });
    const err = await runAs(handle.http, SYSTEM, (q) => q.select().from(users)).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ cause: { message: expect.stringMatching(/signature/) } });
  });

  it("SQL errors keep their SQLSTATE and are not mistaken for unavailability", async () => {
    const { http } = open();
    const err = await http.execute(sql`select * from no_such_table`).catch((e: unknown) => e);
    expect(err).toMatchObject({ cause: { code: "42P01" } });
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it("Postgres stopped → an unavailability error", async () => {
    const u = new URL(runtimeUrl());
    u.port = testEnv.TEST_CLOSED_PORT;
    const { http } = open({ url: u.toString() });
    const err = await http.execute(sql`select 1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it("the endpoint unreachable → an unavailability error", async () => {
    const { http } = open({ endpoint: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}/sql` });
    const err = await http.execute(sql`select 1`).catch((e: unknown) => e);
    expect(isDatabaseUnavailable(err)).toBe(true);
    // Back to the real endpoint: the driver's endpoint setting is per isolate.
    open();
  });

  it("a statement that outlives the deadline → DatabaseTimeoutError, within the deadline", async () => {
    const { http } = open({ timeoutMs: 300 });
    const started = Date.now();
    const err = await http.execute(sql`select pg_sleep(3)`).catch((e: unknown) => e);
    const findTimeout = (e: unknown): boolean =>
      e instanceof DatabaseTimeoutError || (!!e && findTimeout((e as { cause?: unknown }).cause));
    expect(findTimeout(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(true);
    // Not a timing assertion on speed: only that the 3 s statement was not waited for.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
