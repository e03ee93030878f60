/**
 * Rate limits on the identity routes, through the app as createApp() mounts it: sized for a
 * classroom or a CGNAT behind one address, per-account failures that cannot lock the owner
 * out, and session keys that are only ever extra counters on top of the address.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorLogs } from "../../src/db/schema";
import type { ProblemBody } from "../../src/lib/problem";
import { Harness } from "../support/harness";

const policies = (p: Record<string, Record<string, number>>) => ({
  env: { RATE_LIMIT_POLICIES: JSON.stringify(p) },
});
const from = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });

describe("login", () => {
  it("40 different students log in from one address within a minute: none is refused", async (t) => {
    const h = await Harness.init(t);
    const students = await Promise.all(Array.from({ length: 40 }, () => h.asStudent()));
    const results = await Promise.all(
      students.map((s) => h.post("/v1/auth/login", { email: s.email, password: s.password })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
  });

  it("one address gets exactly its login budget under concurrency", async (t) => {
    const h = await Harness.init(t, policies({ login: { limit: 5 } }));
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        h.post("/v1/auth/login", { email: `n${i}@example.in`, password: "x".repeat(12) }),
      ),
    );
    expect(results.filter((r) => r.status !== 429)).toHaveLength(5);
    const denied = results.find((r) => r.status === 429);
    if (!denied) throw new Error("no request was denied");
    expect((denied.body as ProblemBody).policies).toEqual(["login"]);
    expect(denied.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(denied.headers.get("RateLimit-Policy")).toContain('"login";q=5');
  });

  it("wrong passwords from 12 addresses end in 429, yet the owner still logs in from a fresh one", async (t) => {
    const h = await Harness.init(t);
    const owner = await h.asStudent();
    const statuses: number[] = [];
    for (let i = 1; i <= 12; i++) {
      const res = await h.post(
        "/v1/auth/login",
        { email: owner.email, password: `wrong guess ${i}` },
        from(`198.51.100.${i}`),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const denied = await h.post(
      "/v1/auth/login",
      { email: owner.email, password: "wrong again" },
      from("198.51.100.99"),
    );
    expect(denied.status).toBe(429);
    expect((denied.body as ProblemBody).policies).toEqual(["login-failures"]);

    // The owner, from an address that never failed for this account: in.
    const ok = await h.post(
      "/v1/auth/login",
      { email: owner.email, password: owner.password },
      from("203.0.113.50"),
    );
    expect(ok.status, ok.text).toBe(200);
    // An address that did fail it gets 429 even with the right password: no more checks there.
    const fromAttacker = await h.post(
      "/v1/auth/login",
      { email: owner.email, password: owner.password },
      from("198.51.100.1"),
    );
    expect(fromAttacker.status).toBe(429);
  });

  it("failures for one account never slow down another account", async (t) => {
    const h = await Harness.init(t, policies({ "login-failures": { limit: 2 } }));
    const [victim, other] = [await h.asStudent(), await h.asStudent()];
    for (let i = 0; i < 4; i++) {
      await h.post("/v1/auth/login", { email: victim.email, password: `nope ${i}` });
    }
    const res = await h.post("/v1/auth/login", { email: other.email, password: other.password });
    expect(res.status, res.text).toBe(200);
  });

  it("the account counter holds whatever the casing of the email or of Content-Type", async (t) => {
    const h = await Harness.init(t, policies({ "login-failures": { limit: 3 } }));
    const owner = await h.asStudent();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.post("/v1/auth/login", undefined, {
        raw: JSON.stringify({
          email: i % 2 ? owner.email.toUpperCase() : owner.email,
          password: "wrong password!",
        }),
        headers: {
          "Content-Type": i % 2 ? "Application/JSON" : "application/vnd.api+json",
          "CF-Connecting-IP": `198.51.100.${i + 1}`,
        },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe("session routes: the address always counts, the session on top", () => {
  it("made-up refresh tokens from one address cannot each get a fresh budget", async (t) => {
    const h = await Harness.init(t, policies({ session: { limit: 3 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.post("/v1/auth/refresh", { refreshToken: `${"s".repeat(40)}${i}xyz` });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Refreshing does not eat into the address's login budget.
    const login = await h.post("/v1/auth/login", { email: "a@b.in", password: "x".repeat(12) });
    expect(login.status).toBe(401);
  });

  it("one refresh token is limited across addresses too", async (t) => {
    const h = await Harness.init(t, policies({ "session-token": { limit: 2 } }));
    const token = `${"t".repeat(40)}same`;
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      statuses.push(
        (await h.post("/v1/auth/refresh", { refreshToken: token }, from(`192.0.2.${i}`))).status,
      );
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("a body on logout-all does not pick the bucket: the address counts", async (t) => {
    const h = await Harness.init(t, policies({ session: { limit: 2 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.post(
        "/v1/auth/logout-all",
        { refreshToken: `${"r".repeat(40)}${i}` },
        { headers: { Authorization: "Bearer not.a.token" } },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("email/resend is limited per user, whatever the address", async (t) => {
    const h = await Harness.init(t, policies({ email: { limit: 2 } }));
    const u = await h.createUser({ verified: false });
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const res = await h.post("/v1/auth/email/resend", undefined, {
        headers: { ...u.auth, "CF-Connecting-IP": `192.0.2.${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 429]);
  });

  it("forgot-password emails one inbox a bounded number of times, from any address", async (t) => {
    const h = await Harness.init(t, policies({ email: { limit: 2 } }));
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const res = await h.post(
        "/v1/auth/password/forgot",
        { email: "Victim@Example.in" },
        from(`192.0.2.${i}`),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 429]);
  });

  it("IPv6 clients are counted by their /64", async (t) => {
    const h = await Harness.init(t, policies({ recovery: { limit: 3 } }));
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await h.post(
        "/v1/auth/password/forgot",
        { email: `v6-${i}@example.in` },
        from(`2001:db8:abcd:12::${i.toString(16)}`),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });
});

describe("the api policy through requireAuth", () => {
  it("over the limit every authenticated route answers 429, never 500, and logs no error", async (t) => {
    const h = await Harness.init(t, policies({ api: { limit: 20 } }));
    const u = await h.asStudent();
    const statuses: number[] = [];
    // 16 at a time, as the review's flood did.
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(
        Array.from({ length: 16 }, () => h.get("/v1/me", { headers: u.auth })),
      );
      statuses.push(...batch.map((r) => r.status));
      const denied = batch.find((r) => r.status === 429);
      if (denied) {
        expect((denied.body as ProblemBody).code).toBe("RATE_LIMITED");
        expect(denied.headers.get("Retry-After")).toMatch(/^\d+$/);
        expect(denied.headers.get("RateLimit")).toContain('"api"');
      }
    }
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(20 + 2);
    expect(await h.db.select().from(errorLogs).where(eq(errorLogs.status, 500))).toHaveLength(0);
    expect(await h.db.select().from(errorLogs)).toHaveLength(0);
  });

  it("a denied request costs no database round trip (it answers 429 with the database down)", async (t) => {
    const h0 = await Harness.init(t);
    const u = await h0.asStudent();
    const down = new URL(h0.env.DATABASE_URL);
    down.port = h0.env.TEST_CLOSED_PORT;
    const h = await Harness.init(t, {
      env: {
        DATABASE_URL: down.toString(),
        RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 0 } }),
      },
    });
    const res = await h.get("/v1/me", { headers: u.auth });
    expect(res.status, res.text).toBe(429);
  });

  it("a stream of bad tokens from one address is throttled", async (t) => {
    const h = await Harness.init(t, policies({ api: { limit: 5 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      statuses.push(
        (await h.get("/v1/me", { headers: { Authorization: `Bearer bad.token.${i}` } })).status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(401));
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });
});
