/**
 * The limiter as wired into the real app: admin ops and their audit, the password-change guard,
 * the api policy's unit cost. The identity routes' limits: test/auth/limits.test.ts.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../src/db/schema";
import { Harness } from "../support/harness";

describe("admin rate-limit operations", () => {
  it("reads, blocks, clears and resets a key, each audited", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("super_admin");
    const ip = "203.0.113.9";
    const key = `/v1/admin/rate-limits/login/ip:${ip}`;
    await h.post(
      "/v1/auth/login",
      { email: "a@b.in", password: "x".repeat(12) },
      { headers: { "CF-Connecting-IP": ip } },
    );

    const state = await h.get<{ limits: unknown[] }>(key, { headers: admin.auth });
    expect(state.status, state.text).toBe(200);
    expect(state.body.limits.length).toBeGreaterThan(0);

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const block = await h.put(
      `${key}/override`,
      { action: "block", until },
      { headers: admin.auth },
    );
    expect(block.status, block.text).toBe(200);
    const blocked = await h.post(
      "/v1/auth/login",
      { email: "a@b.in", password: "x".repeat(12) },
      { headers: { "CF-Connecting-IP": ip } },
    );
    expect(blocked.status).toBe(429);

    expect(
      (await h.put(`${key}/override`, { action: "clear" }, { headers: admin.auth })).status,
    ).toBe(200);
    const reset = await h.post<unknown, { deleted: number }>(`${key}/reset`, undefined, {
      headers: admin.auth,
    });
    expect(reset.status, reset.text).toBe(200);
    const again = await h.post(
      "/v1/auth/login",
      { email: "a@b.in", password: "x".repeat(12) },
      { headers: { "CF-Connecting-IP": ip } },
    );
    expect(again.status).toBe(401);

    const rows = await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.entityType, "rate_limit_key"), eq(auditLogs.actorId, admin.id)));
    expect(rows.map((r) => r.action).sort()).toEqual([
      "rate_limit.block",
      "rate_limit.clear_override",
      "rate_limit.reset",
    ]);
  });

  it("rejects a bad identity or override body with 400", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("super_admin");
    expect((await h.get("/v1/admin/rate-limits/auth/bogus", { headers: admin.auth })).status).toBe(
      400,
    );
    expect(
      (await h.get("/v1/admin/rate-limits/nope/ip:1.2.3.4", { headers: admin.auth })).status,
    ).toBe(400);
    const past = await h.put(
      "/v1/admin/rate-limits/auth/ip:1.2.3.4/override",
      { action: "block", until: "2020-01-01T00:00:00Z" },
      { headers: admin.auth },
    );
    expect(past.status, past.text).toBe(400);
    const lower = await h.put(
      "/v1/admin/rate-limits/auth/ip:1.2.3.4/override",
      { action: "raise", limit: 1 },
      { headers: admin.auth },
    );
    expect(lower.status, lower.text).toBe(400);
  });

  it("top lists the most denied keys", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ strict: { limit: 1 } }) },
    });
    const admin = await h.asAdmin("super_admin");
    for (let i = 0; i < 3; i++)
      await h.post("/v1/admin-requests/verify", { token: "t".repeat(43) });
    // Analytics flush off the request path at most every 10 s per isolate; poll the endpoint.
    let top: { data: { policy: string; denied: number }[] } = { data: [] };
    for (let i = 0; i < 30 && !top.data.some((r) => r.policy === "strict"); i++) {
      await h.get("/health");
      await new Promise((r) => setTimeout(r, 500));
      await h.post("/v1/admin-requests/verify", { token: "t".repeat(43) });
      top = (
        await h.get<typeof top>("/v1/admin/rate-limits/top?policy=strict", { headers: admin.auth })
      ).body;
    }
    expect(top.data[0]?.policy).toBe("strict");
    expect(top.data[0]?.denied).toBeGreaterThanOrEqual(2);
  });
});

describe("rate-limit tools are bounded by the role hierarchy", () => {
  const override = (h: Harness, identity: string, body: unknown, auth: Record<string, string>) =>
    h.put(`/v1/admin/rate-limits/login/${encodeURIComponent(identity)}/override`, body, {
      headers: auth,
    });
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  it("an admin (not super) gets 403 on every rate-limit tool, changing nothing", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("admin");
    const boss = await h.asAdmin("super_admin");
    expect((await h.get("/v1/admin/rate-limits/top", { headers: admin.auth })).status).toBe(403);
    const aimed = await override(
      h,
      `user:${boss.id}`,
      { action: "block", until: inAnHour() },
      admin.auth,
    );
    expect(aimed.status, aimed.text).toBe(403);
    const state = await h.get<{ override: unknown }>(
      `/v1/admin/rate-limits/login/user:${boss.id}`,
      { headers: boss.auth },
    );
    expect(state.body.override).toBeNull();
  });

  it("a super admin cannot touch another super admin's key, nor their own user or address", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asAdmin("super_admin");
    const peer = await h.asAdmin("super_admin");
    const student = await h.asStudent();
    const block = { action: "block", until: inAnHour() };
    expect((await override(h, `user:${peer.id}`, block, me.auth)).status).toBe(403);
    expect(
      (await override(h, `user:${me.id}`, { action: "raise", limit: 300 }, me.auth)).status,
    ).toBe(403);
    expect((await override(h, `ip:${h.ip}`, { action: "clear" }, me.auth)).status).toBe(403);
    const reset = await h.post(`/v1/admin/rate-limits/login/user:${me.id}/reset`, undefined, {
      headers: me.auth,
    });
    expect(reset.status).toBe(403);
    // A student's key is fair game.
    expect((await override(h, `user:${student.id}`, block, me.auth)).status).toBe(200);
  });

  it("raises are capped at 10× and every override lapses within 7 days", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asAdmin("super_admin");
    const limit = 200; // the login policy's default
    const key = "ip:203.0.113.77";
    expect((await override(h, key, { action: "raise", limit: limit * 10 }, me.auth)).status).toBe(
      200,
    );
    expect(
      (await override(h, key, { action: "raise", limit: limit * 10 + 1 }, me.auth)).status,
    ).toBe(400);
    const eightDays = new Date(Date.now() + 8 * 86_400_000).toISOString();
    expect((await override(h, key, { action: "block", until: eightDays }, me.auth)).status).toBe(
      400,
    );
    const lower = { action: "lower", limit: 1, expiresAt: eightDays };
    expect((await override(h, key, lower, me.auth)).status).toBe(400);
  });

  it("accepts every key the limiter builds: IPv6 /64, hashed session and account keys", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asAdmin("super_admin");
    for (const [policy, identity] of [
      ["login", "ip:2001:db8:abcd:12::/64"],
      ["session", `session:${"ab".repeat(16)}`],
      ["login-failures", `account:${"0f".repeat(16)}`],
      ["login-failures", `account-address:${"0f".repeat(16)}`],
      ["recovery", `recipient:${"cd".repeat(16)}`],
    ]) {
      const res = await h.get(
        `/v1/admin/rate-limits/${policy}/${encodeURIComponent(identity as string)}`,
        {
          headers: me.auth,
        },
      );
      expect(res.status, `${policy} ${identity}: ${res.text}`).toBe(200);
    }
    // Found by `npm run fuzz`: 36 hex-or-dash characters that are no UUID reached the user lookup.
    const notUuid = "user:62f-14eb-baae-c2-757-ff09-bc-435d11-";
    for (const bad of [
      "ip:not an address",
      "session:xyz",
      "user:1; drop table users",
      notUuid,
      "x".repeat(200),
    ]) {
      const res = await h.get(`/v1/admin/rate-limits/login/${encodeURIComponent(bad)}`, {
        headers: me.auth,
      });
      expect(res.status, bad).toBe(400);
    }
    const override = await h.put(
      `/v1/admin/rate-limits/login/${encodeURIComponent(notUuid)}/override`,
      { action: "clear" },
      { headers: me.auth },
    );
    expect(override.status, override.text).toBe(400);
  });

  it("concurrent changes to one key are audited in the order they were applied", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asAdmin("super_admin");
    const key = "ip:203.0.113.88";
    const limits = Array.from({ length: 8 }, (_, i) => 201 + i);
    const results = await Promise.all(
      limits.map((limit) => override(h, key, { action: "raise", limit }, me.auth)),
    );
    expect(results.map((r) => r.status)).toEqual(limits.map(() => 200));
    const state = await h.get<{ override: { limit: number } }>(
      `/v1/admin/rate-limits/login/${key}`,
      {
        headers: me.auth,
      },
    );
    const rows = await h.db
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.entityId, `login:${key}`))
      .orderBy(auditLogs.id);
    expect(rows).toHaveLength(limits.length);
    // Each row's "before" is the previous row's "after", and the last "after" is what is in force.
    const overrideOf = (v: unknown) =>
      (v as { override: { limit: number } | null } | null)?.override?.limit ?? null;
    for (let i = 1; i < rows.length; i++) {
      expect(overrideOf(rows[i]?.before)).toBe(overrideOf(rows[i - 1]?.after));
    }
    expect(overrideOf(rows.at(-1)?.after)).toBe(state.body.override.limit);
  });
});

describe("review fixes", () => {
  it("guessing the current password is limited per user and audited", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ auth: { limit: 3 } }) },
    });
    const u = await h.asStudent();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await h.post(
        "/v1/me/password",
        { currentPassword: `guess number ${i}`, newPassword: "a brand new phrase" },
        { headers: u.auth },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    const rows = await h.db
      .select()
      .from(auditLogs)
      .where(
        and(eq(auditLogs.action, "auth.password_change_failed"), eq(auditLogs.entityId, u.id)),
      );
    expect(rows).toHaveLength(3);
  });
});

describe("api policy on authenticated traffic", () => {
  it("costs one unit per request (the guard runs once, keyed by the user)", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    const first = await h.get("/v1/me", { headers: u.auth });
    const second = await h.get("/v1/admin/users", { headers: (await h.asAdmin()).auth });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const remaining = (res: { headers: Headers }) =>
      Number(/"api";r=(\d+)/.exec(res.headers.get("RateLimit") ?? "")?.[1]);
    const quota = Number(/"api";q=(\d+)/.exec(first.headers.get("RateLimit-Policy") ?? "")?.[1]);
    expect(remaining(first)).toBe(quota - 1);
    expect(remaining(second)).toBe(quota - 1);
  });
});
