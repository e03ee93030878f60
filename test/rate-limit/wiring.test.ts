/** The limiter as wired into the real app: /v1/auth/* (auth), admin ops, audit. */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../src/db/schema";
import type { ProblemBody } from "../../src/lib/problem";
import { Harness } from "../support/harness";

describe("auth policy on /v1/auth/*", () => {
  it("3× the quota concurrently from one IP admits exactly the quota RateLimit-Policy announces", async (t) => {
    const h = await Harness.init(t);
    const first = await h.post("/v1/auth/login", {
      email: "nobody@example.in",
      password: "x".repeat(12),
    });
    const policy = first.headers.get("RateLimit-Policy") ?? "";
    const quota = Number(/q=(\d+)/.exec(policy)?.[1]);
    expect(quota, policy).toBeGreaterThan(0);
    const results = await Promise.all(
      Array.from({ length: quota * 3 }, (_, i) =>
        h.post("/v1/auth/login", { email: `user${i}@example.in`, password: "x".repeat(12) }),
      ),
    );
    const admitted = results.filter((r) => r.status !== 429).length;
    // The first request above used one unit of the quota.
    expect(admitted).toBe(quota - 1);
    const denied = results.find((r) => r.status === 429);
    expect(denied?.headers.get("Retry-After")).toMatch(/^\d+$/);
    const problem = denied?.body as ProblemBody;
    expect(problem.code).toBe("RATE_LIMITED");
    expect(problem.policies).toContain("auth");
  });

  it("the per-account limit holds across IPs", async (t) => {
    const h = await Harness.init(t);
    const email = `target-${crypto.randomUUID().slice(0, 6)}@example.in`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await h.post(
        "/v1/auth/login",
        { email, password: "wrong password!" },
        {
          headers: { "CF-Connecting-IP": `198.51.100.${i + 1}` },
        },
      );
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401).length).toBe(10);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });
});

describe("admin rate-limit operations", () => {
  it("reads, blocks, clears and resets a key, each audited", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const ip = "203.0.113.9";
    const key = `/v1/admin/rate-limits/auth/ip:${ip}`;
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
    const admin = await h.asAdmin();
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
    const admin = await h.asAdmin();
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

describe("review fixes", () => {
  it("the per-account key holds whatever the casing or +json type of Content-Type", async (t) => {
    const h = await Harness.init(t);
    const email = `case-${crypto.randomUUID().slice(0, 6)}@example.in`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await h.post("/v1/auth/login", undefined, {
        raw: JSON.stringify({ email, password: "wrong password!" }),
        headers: {
          "Content-Type": i % 2 ? "Application/JSON" : "application/vnd.api+json",
          "CF-Connecting-IP": `198.51.100.${i + 1}`,
        },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401).length).toBe(10);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });

  it("IPv6 clients are limited by their /64", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ auth: { limit: 3 } }) },
    });
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await h.post(
        "/v1/auth/password/forgot",
        { email: `v6-${i}@example.in` },
        {
          headers: { "CF-Connecting-IP": `2001:db8:abcd:12::${i.toString(16)}` },
        },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });

  it("refresh is counted per session, not against the IP's login budget", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ auth: { limit: 3 } }) },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.post("/v1/auth/refresh", { refreshToken: `${"s".repeat(40)}${i}xyz` });
      statuses.push(res.status);
    }
    // Five different (unknown) sessions from one address: each has its own budget.
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const login = await h.post("/v1/auth/login", { email: "a@b.in", password: "x".repeat(12) });
    expect(login.status).toBe(401);
  });

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
