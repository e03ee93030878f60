/**
 * Row-level security holds against SQL that runs as the Worker's role (app_runtime) without the
 * Worker's DB_CONTEXT_SECRET: a leaked DATABASE_URL, an injection. See migration 0011.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { runAs, SYSTEM } from "../../src/db/transaction";
import { testEnv } from "../support/env";
import { admin, asRuntime, ENTER, newUser, runtimeUrl, signedEntry } from "./support";

async function fixtures() {
  const student = await newUser();
  const other = await newUser();
  await newUser("super_admin");
  const [session] = await admin<{ id: string }>(
    "INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id",
    [other],
  );
  await admin(
    `INSERT INTO audit_logs (action, entity_type, after) VALUES ('test.secret', 'test', '{"x":1}')`,
  );
  await admin(
    "INSERT INTO error_logs (severity, code, status, message) VALUES ('error', 'TEST', 500, 'x')",
  );
  return { student, other, session: session?.id ?? "" };
}

/** Rows the current context sees in the tables that matter. */
const VISIBLE = `SELECT
  (SELECT count(*) FROM users)::int AS users,
  (SELECT count(*) FROM sessions)::int AS sessions,
  (SELECT count(*) FROM audit_logs)::int AS audit_logs,
  (SELECT count(*) FROM error_logs)::int AS error_logs,
  (SELECT count(*) FROM one_time_tokens)::int AS tokens,
  app_role() AS role, app_user_id()::text AS user_id`;
const NOTHING = {
  users: 0,
  sessions: 0,
  audit_logs: 0,
  error_logs: 0,
  tokens: 0,
  role: "anonymous",
  user_id: null,
};

describe("SQL as app_runtime without the Worker's secret", () => {
  it("set_config cannot make it `system`, another user or an admin: it sees nothing", async () => {
    const { student, other } = await fixtures();
    await asRuntime(async (q) => {
      await q("BEGIN");
      // The old way in.
      await q("SELECT set_config('app.role', 'system', true), set_config('app.user_id', '', true)");
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      await q("SELECT set_config('app.role', 'admin', true), set_config('app.user_id', $1, true)", [
        other,
      ]);
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      // Forging the new setting directly: any shape, no valid mac.
      for (const forged of [
        `|system|${"0".repeat(64)}`,
        `${student}|student|${"f".repeat(64)}`,
        "|system|",
        "system",
      ]) {
        await q("SELECT set_config('app.ctx', $1, true)", [forged]);
        expect((await q(VISIBLE))[0], forged).toEqual(NOTHING);
      }
      // Writes fail the same way: no audit forgery, no self-promotion.
      await expect(
        q("INSERT INTO audit_logs (action, entity_type) VALUES ('forged.entry', 'test')"),
      ).rejects.toThrow(/row-level security/);
      await q("ROLLBACK");
      await q("BEGIN");
      await q("SELECT set_config('app.role', 'system', true)");
      const updated = await q("UPDATE users SET role = 'super_admin' WHERE id = $1 RETURNING id", [
        student,
      ]);
      expect(updated).toEqual([]);
      await q("ROLLBACK");
    });
    const [row] = await admin<{ role: string }>("SELECT role FROM users WHERE id = $1", [student]);
    expect(row?.role).toBe("student");
  });

  it("cannot read the key, nor enter a context without a signature", async () => {
    await asRuntime(async (q) => {
      await expect(q("SELECT key FROM app_keys")).rejects.toThrow(/permission denied/);
      await expect(q("SELECT _app_enter_trusted(NULL, 'system')")).rejects.toThrow(
        /permission denied/,
      );
      await expect(q("SELECT app_install_context_key(repeat('k', 40))")).rejects.toThrow(
        /permission denied/,
      );
    });
  });

  it("a forged, re-targeted, wrongly keyed, expired or future signature is refused", async () => {
    const student = await newUser();
    const valid = await signedEntry({ userId: student, role: "student" });
    const attempts: [string, unknown[], RegExp][] = [
      ["random signature", [null, "system", Date.now(), "ab".repeat(32)], /invalid .*signature/],
      ["empty signature", [null, "system", Date.now(), ""], /invalid .*signature/],
      // A genuine signature for the student, presented for other roles or users.
      ["same signature, role system", [null, "system", valid[2], valid[3]], /invalid/],
      ["same signature, role admin", [student, "admin", valid[2], valid[3]], /invalid/],
      [
        "same signature, another user",
        [crypto.randomUUID(), "student", valid[2], valid[3]],
        /invalid/,
      ],
      ["same signature, other time", [student, "student", valid[2] + 1, valid[3]], /invalid/],
      [
        "signed with another secret",
        await signedEntry(SYSTEM, { secret: "not-the-database-key-0123456789abcdef" }),
        /invalid .*signature/,
      ],
      [
        "signed 31 s ago",
        await signedEntry(SYSTEM, { issuedAt: Date.now() - 31_000 }),
        /expired .*signature/,
      ],
      [
        "signed 10 s in the future",
        await signedEntry(SYSTEM, { issuedAt: Date.now() + 10_000 }),
        /expired .*signature/,
      ],
    ];
    await asRuntime(async (q) => {
      for (const [why, params, error] of attempts) {
        await q("BEGIN");
        await expect(q(ENTER, params), why).rejects.toThrow(error);
        await q("ROLLBACK");
      }
      // And the genuine one works, for exactly its own context.
      await q("BEGIN");
      await q(ENTER, valid);
      expect((await q(VISIBLE))[0]).toMatchObject({ users: 1, role: "student", user_id: student });
      await q("ROLLBACK");
    });
  });

  it("a verified context does not carry over: not to the next transaction, not to another session", async () => {
    await fixtures();
    const stolen = await asRuntime(async (q) => {
      await q("BEGIN");
      await q(ENTER, await signedEntry(SYSTEM));
      const [visible] = await q<{ users: number; role: string }>(VISIBLE);
      expect(visible?.role).toBe("system");
      expect(visible?.users).toBeGreaterThan(0);
      const [{ ctx }] = (await q<{ ctx: string }>("SELECT current_setting('app.ctx') AS ctx")) as [
        { ctx: string },
      ];
      await q("COMMIT");
      // Transaction-local: gone after commit. Replayed in the next transaction: refused.
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      await q("BEGIN");
      await q("SELECT set_config('app.ctx', $1, true)", [ctx]);
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      await q("ROLLBACK");
      return ctx;
    });
    await asRuntime(async (q) => {
      await q("BEGIN");
      await q("SELECT set_config('app.ctx', $1, true)", [stolen]);
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      await q("ROLLBACK");
    });
  });

  it("a temp table or search_path cannot stand in for the key", async () => {
    const attackerKey = "attacker-chosen-key-0123456789abcdef0123";
    await asRuntime(async (q) => {
      await q("CREATE TEMP TABLE app_keys (name text, key text, installed_at timestamptz)");
      await q("INSERT INTO app_keys (name, key) VALUES ('db_context', $1)", [attackerKey]);
      await q("SET search_path = pg_temp, public");
      await q("BEGIN");
      await expect(q(ENTER, await signedEntry(SYSTEM, { secret: attackerKey }))).rejects.toThrow(
        /invalid .*signature/,
      );
      await q("ROLLBACK");
    });
  });

  it("auth_principal(sub, sid) still answers in one statement, and its system context ends with it", async () => {
    const { other, session } = await fixtures();
    await asRuntime(async (q) => {
      const [principal] = await q<{ id: string; role: string }>(
        "SELECT * FROM auth_principal($1, $2)",
        [other, session],
      );
      expect(principal).toMatchObject({ id: other, role: "student" });
      // Even inside a transaction nothing of it remains for the next statement.
      await q("BEGIN");
      await q("SELECT * FROM auth_principal($1, $2)", [other, session]);
      expect((await q(VISIBLE))[0]).toEqual(NOTHING);
      await q("ROLLBACK");
      // And inside a user's context, that context is what remains.
      await q("BEGIN");
      await q(ENTER, await signedEntry({ userId: other, role: "student" }));
      await q("SELECT * FROM auth_principal($1, $2)", [other, session]);
      expect((await q(VISIBLE))[0]).toMatchObject({ users: 1, role: "student", user_id: other });
      await q("ROLLBACK");
    });
  });

  it("runAs signs with the Worker's secret; a handle with the wrong secret is refused", async () => {
    const good = createDb({
      url: runtimeUrl(),
      wsProxy: testEnv.NEON_WS_PROXY,
      timeoutMs: 5_000,
      contextSecret: testEnv.DB_CONTEXT_SECRET,
    });
    const bad = createDb({
      url: runtimeUrl(),
      wsProxy: testEnv.NEON_WS_PROXY,
      timeoutMs: 5_000,
      contextSecret: "a-secret-the-database-does-not-hold-0123456789",
    });
    try {
      const role = await runAs(
        good.db,
        SYSTEM,
        async (tx) => (await tx.execute(sql`select app_role() as r`)).rows[0],
      );
      expect(role).toEqual({ r: "system" });
      await expect(runAs(bad.db, SYSTEM, async () => "entered")).rejects.toThrow();
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });
});
