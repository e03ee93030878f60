/**
 * idempotency_keys at the SQL level, as the Worker's role (app_runtime) with and without a
 * signed context (migration 0022): who may see, complete, claim and release a key.
 */
import { describe, expect, it } from "vitest";
import { admin, inContext, newUser } from "./support";

/** An in-flight claim, as the middleware leaves it; returns its key and token. */
async function claim(scope: string) {
  const key = crypto.randomUUID();
  const token = crypto.randomUUID();
  await admin(
    `INSERT INTO idempotency_keys (scope, key, fingerprint, token, locked_until, expires_at)
     VALUES ($1, $2, 'fp', $3, now() + interval '1 minute', now() + interval '1 day')`,
    [scope, key, token],
  );
  return { scope, key, token };
}

const COMPLETE = `SELECT idempotency_complete($1, $2, $3::uuid, 201, '{"content-type":"application/json"}', '{}')`;

const stateOf = async (key: string) =>
  (await admin<{ state: string }>("SELECT state FROM idempotency_keys WHERE key = $1", [key]))[0]
    ?.state;

describe("idempotency_keys RLS", () => {
  it("a user completes a claim in their own scope, and only that", async () => {
    const me = await newUser();
    const other = await newUser();
    const mine = await claim(`user:${me}`);
    const theirs = await claim(`user:${other}`);
    const anonymous = await claim("ip:10.1.2.3");
    await inContext({ userId: me, role: "student" }, async (q) => {
      const seen = await q<{ key: string }>("SELECT key FROM idempotency_keys");
      expect(seen.map((r) => r.key)).toEqual([mine.key]);
      await q(COMPLETE, [mine.scope, mine.key, mine.token]);
      const [row] = await q<{ state: string; response_status: number }>(
        "SELECT state, response_status FROM idempotency_keys WHERE key = $1",
        [mine.key],
      );
      expect(row).toEqual({ state: "completed", response_status: 201 });
    });
    for (const target of [theirs, anonymous]) {
      await expect(
        inContext({ userId: me, role: "student" }, (q) =>
          q(COMPLETE, [target.scope, target.key, target.token]),
        ),
      ).rejects.toMatchObject({ code: "IK409" });
    }
  });

  it("the claim token names the claim: a wrong token cannot complete it", async () => {
    const me = await newUser();
    const mine = await claim(`user:${me}`);
    await expect(
      inContext({ userId: me, role: "student" }, (q) =>
        q(COMPLETE, [mine.scope, mine.key, crypto.randomUUID()]),
      ),
    ).rejects.toMatchObject({ code: "IK409" });
  });

  it("an anonymous context completes address-scoped claims, never a user's", async () => {
    const user = await newUser();
    const byAddress = await claim("ip:10.9.8.7");
    const byUser = await claim(`user:${user}`);
    const anonymous = { userId: null, role: "anonymous" as const };
    await inContext(anonymous, (q) =>
      q(COMPLETE, [byAddress.scope, byAddress.key, byAddress.token]),
    );
    await expect(
      inContext(anonymous, (q) => q(COMPLETE, [byUser.scope, byUser.key, byUser.token])),
    ).rejects.toMatchObject({ code: "IK409" });
  });

  it("only system claims, releases or rewrites a claim; others may only complete it", async () => {
    const me = await newUser();
    const mine = await claim(`user:${me}`);
    const student = { userId: me, role: "student" as const };
    await expect(
      inContext(student, (q) =>
        q(
          `INSERT INTO idempotency_keys (scope, key, fingerprint, token, locked_until, expires_at)
           VALUES ($1, 'k', 'fp', gen_random_uuid(), now(), now())`,
          [`user:${me}`],
        ),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    const deleted = await inContext(student, (q) =>
      q("DELETE FROM idempotency_keys WHERE key = $1 RETURNING key", [mine.key]),
    );
    expect(deleted).toEqual([]);
    for (const change of [
      "token = gen_random_uuid()",
      "fingerprint = 'other'",
      "locked_until = now() + interval '1 day'",
      "expires_at = now() + interval '1 year'",
    ]) {
      await expect(
        inContext(student, (q) =>
          q(`UPDATE idempotency_keys SET ${change} WHERE key = $1`, [mine.key]),
        ),
        change,
      ).rejects.toMatchObject({ code: "42501" });
    }
    await expect(
      inContext(student, (q) =>
        q("UPDATE idempotency_keys SET scope = 'user:' || gen_random_uuid() WHERE key = $1", [
          mine.key,
        ]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    expect(await stateOf(mine.key)).toBe("in_flight");
    const system = { userId: null, role: "system" as const };
    await inContext(system, async (q) => {
      expect(
        await q("DELETE FROM idempotency_keys WHERE key = $1 RETURNING key", [mine.key]),
      ).toEqual([{ key: mine.key }]);
    });
  });

  it("SQL without the Worker's secret sees and completes nothing", async () => {
    const byAddress = await claim("ip:10.5.5.5");
    await inContext(null, async (q) => {
      expect(await q("SELECT key FROM idempotency_keys")).toEqual([]);
    });
    await expect(
      inContext(null, (q) => q(COMPLETE, [byAddress.scope, byAddress.key, byAddress.token])),
    ).rejects.toMatchObject({ code: "IK409" });
    expect(await stateOf(byAddress.key)).toBe("in_flight");
  });
});
