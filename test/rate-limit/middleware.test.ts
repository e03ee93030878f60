import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import { handleError } from "../../src/lib/handle-error";
import { createRouter } from "../../src/lib/openapi";
import type { ProblemBody } from "../../src/lib/problem";
import { DurableObjectRateLimitClient } from "../../src/lib/rate-limit/client";
import { jsonBodyField, rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, type Policies } from "../../src/lib/rate-limit/policies";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;

function policies(overrides: Partial<{ [K in keyof Policies]: Partial<Policies[K]> }>): Policies {
  const merged = { ...defaultPolicies };
  for (const [name, value] of Object.entries(overrides) as [keyof Policies, object][]) {
    merged[name] = { ...defaultPolicies[name], ...value };
  }
  return merged;
}

const throwingClient = () =>
  new DurableObjectRateLimitClient(
    {
      idFromName: (name: string) => ns.idFromName(name),
      get: () => ({
        check: async () => {
          throw new Error("object unavailable");
        },
      }),
    } as unknown as DurableObjectNamespace<RateLimiter>,
    { cache: null },
  );

function testApp(p: Policies) {
  const app = createRouter();
  app.use("/as-user/*", async (c, next) => {
    c.set("userId", c.req.header("X-Test-User"));
    await next();
  });
  app.get("/strict", rateLimit("strict", { policies: p }), (c) => c.json({ ok: true }));
  app.get("/as-user/api", rateLimit("api", { policies: p }), (c) => c.json({ ok: true }));
  app.post(
    "/login",
    rateLimit("auth", {
      policies: p,
      extraKeys: [{ name: "account", extract: jsonBodyField("email") }],
    }),
    async (c) => {
      const body = await c.req.json<{ email: string }>(); // still readable after the limiter
      return c.json({ email: body.email });
    },
  );
  app.get("/open", rateLimit("api", { policies: p, client: throwingClient }), (c) => c.text("ok"));
  app.get("/closed", rateLimit("payment", { policies: p, client: throwingClient }), (c) =>
    c.text("ok"),
  );
  app.get("/boom", rateLimit("strict", { policies: p }), () => {
    throw new Error("handler failed");
  });
  app.get("/env-policies", rateLimit("strict"), (c) => c.text("ok"));
  app.onError(handleError);
  return app;
}

const ip = () => `203.0.113.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;

async function get(app: ReturnType<typeof testApp>, path: string, headers: HeadersInit) {
  const res = await app.request(path, { headers }, env);
  return { res, text: await res.text() };
}

describe("rateLimit middleware", () => {
  // The first object call of a test file loads the Worker's modules (seconds in the test pool):
  // done here so it cannot trip the client's 2 s timeout inside a test.
  beforeAll(async () => {
    await ns.get(ns.idFromName("warm-up")).ping();
  });

  it("admits exactly the limit of 50 concurrent requests from one IP", async () => {
    const app = testApp(policies({ strict: { limit: 10 } }));
    const client = ip();
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await app.request("/strict", { headers: { "CF-Connecting-IP": client } }, env);
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(10);
    expect(statuses.filter((s) => s === 429).length).toBe(40);
  });

  it("sends exact headers at the boundary: remaining 1 → 0 → 429 with Retry-After", async () => {
    const app = testApp(policies({ strict: { limit: 2, windowMs: 60_000, algorithm: "gcra" } }));
    const headers = { "CF-Connecting-IP": ip() };
    const before = Date.now();

    const first = await get(app, "/strict", headers);
    expect(first.res.status, first.text).toBe(200);
    expect(first.res.headers.get("RateLimit-Policy")).toBe('"strict";q=2;w=60');
    expect(first.res.headers.get("RateLimit")).toBe('"strict";r=1;t=30');
    expect(first.res.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(first.res.headers.get("X-RateLimit-Remaining")).toBe("1");
    expect(first.res.headers.get("Retry-After")).toBeNull();

    const second = await get(app, "/strict", headers);
    expect(second.res.status, second.text).toBe(200);
    expect(second.res.headers.get("RateLimit")).toBe('"strict";r=0;t=60');
    expect(second.res.headers.get("X-RateLimit-Remaining")).toBe("0");
    const reset = Number(second.res.headers.get("X-RateLimit-Reset"));
    expect(reset).toBeGreaterThanOrEqual(Math.ceil((before + 60_000) / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil((Date.now() + 60_000) / 1000));

    const third = await get(app, "/strict", headers);
    expect(third.res.status, third.text).toBe(429);
    expect(third.res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(third.res.headers.get("Retry-After")).toBe("30");
    expect(third.res.headers.get("RateLimit")).toBe('"strict";r=0;t=60');
    expect(third.res.headers.get("X-RateLimit-Remaining")).toBe("0");
    const body = JSON.parse(third.text) as ProblemBody;
    expect(body).toMatchObject({
      status: 429,
      code: "RATE_LIMITED",
      policies: ["strict"],
      retryAfterSeconds: 30,
    });

    // The short-circuit answers the same way.
    const fourth = await get(app, "/strict", headers);
    expect(fourth.res.status).toBe(429);
    expect(fourth.res.headers.get("Retry-After")).toBe("30");
  });

  it("adds the headers to error responses of limited routes too", async () => {
    const app = testApp(policies({}));
    const { res } = await get(app, "/boom", { "CF-Connecting-IP": ip() });
    expect(res.status).toBe(500);
    expect(res.headers.get("RateLimit")).toMatch(/^"strict";r=4;t=\d+$/);
  });

  it("keys by CF-Connecting-IP and ignores X-Forwarded-For", async () => {
    const app = testApp(policies({ strict: { limit: 1 } }));
    const client = ip();
    expect((await get(app, "/strict", { "CF-Connecting-IP": client })).res.status).toBe(200);
    const spoofed = await get(app, "/strict", {
      "CF-Connecting-IP": client,
      "X-Forwarded-For": ip(),
    });
    expect(spoofed.res.status).toBe(429);
    expect((await get(app, "/strict", { "CF-Connecting-IP": ip() })).res.status).toBe(200);
  });

  it("keys by user id when signed in, whatever the IP", async () => {
    const app = testApp(policies({ api: { limit: 2 } }));
    const user = crypto.randomUUID();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { res } = await get(app, "/as-user/api", {
        "CF-Connecting-IP": ip(),
        "X-Test-User": user,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const other = await get(app, "/as-user/api", { "X-Test-User": crypto.randomUUID() });
    expect(other.res.status).toBe(200);
  });

  it("limits login per IP and per account in one all-or-nothing check", async () => {
    const app = testApp(policies({ auth: { limit: 3 } }));
    const email = `${crypto.randomUUID()}@example.test`;
    const login = (from: string, as: string) =>
      app.request(
        "/login",
        {
          method: "POST",
          headers: { "CF-Connecting-IP": from, "Content-Type": "application/json" },
          body: JSON.stringify({ email: as, password: "x" }),
        },
        env,
      );
    // Rotating IPs does not escape the per-account limit (case and spaces do not either).
    for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
      const res = await login(ip(), variant);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { email: string }).email).toBe(variant);
    }
    const attacker = ip();
    const denied = await login(attacker, email);
    expect(denied.status).toBe(429);
    const body = (await denied.json()) as ProblemBody;
    expect(body.policies).toEqual(["auth:account"]);
    expect(denied.headers.get("RateLimit-Policy")).toBe(
      '"auth";q=3;w=900, "auth:account";q=3;w=900',
    );
    // The denied attempt consumed nothing from the attacker's IP.
    const next = await login(attacker, `${crypto.randomUUID()}@example.test`);
    expect(next.status).toBe(200);
    expect(next.headers.get("RateLimit")).toMatch(/^"auth";r=2;t=\d+, "auth:account";r=2;t=\d+$/);
  });

  it("fails open for api and closed (503) for payment when the limiter throws", async () => {
    const app = testApp(policies({}));
    const open = await get(app, "/open", { "CF-Connecting-IP": ip() });
    expect(open.res.status, open.text).toBe(200);
    expect(open.res.headers.get("RateLimit")).toBeNull();

    const closed = await get(app, "/closed", { "CF-Connecting-IP": ip() });
    expect(closed.res.status, closed.text).toBe(503);
    expect(JSON.parse(closed.text)).toMatchObject({
      code: "DEPENDENCY_UNAVAILABLE",
      dependency: "rate-limiter",
    });
    expect(closed.res.headers.get("Retry-After")).toBe("5");
  });

  it("reads limits from RATE_LIMIT_POLICIES and rejects an invalid value", async () => {
    const app = testApp(policies({}));
    const headers = { "CF-Connecting-IP": ip() };
    const configured = await app.request(
      "/env-policies",
      { headers },
      { ...env, RATE_LIMIT_POLICIES: '{"strict":{"limit":42,"windowMs":7000}}' },
    );
    expect(configured.status).toBe(200);
    expect(configured.headers.get("RateLimit-Policy")).toBe('"strict";q=42;w=7');

    const broken = await app.request(
      "/env-policies",
      { headers },
      { ...env, RATE_LIMIT_POLICIES: '{"strict":{"limit":"many"}}' },
    );
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as ProblemBody).code).toBe("BAD_ENVIRONMENT");
  });
});
