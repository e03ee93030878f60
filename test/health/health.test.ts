import { describe, expect, it } from "vitest";
import type { Readiness } from "../../src/domains/health/schemas";
import { Harness } from "../support/harness";

describe("health", () => {
  it("GET /health answers without touching dependencies", async (t) => {
    const h = await Harness.init(t, { env: { DATABASE_URL: "not a url" } });
    const res = await h.get<{ status: string }>("/health");
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("GET /health/ready reports postgres, kv and durable object ok", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get<Readiness>("/health/ready");
    expect(res.status, res.text).toBe(200);
    expect(res.body.failed).toEqual([]);
    expect(res.body.checks.postgres.status).toBe("ok");
    expect(res.body.checks.kv.status).toBe("ok");
    expect(res.body.checks.durableObject.status).toBe("ok");
  });
});

describe("readiness names each failing dependency", () => {
  const failingKv = {
    put: async () => {
      throw new Error("kv down");
    },
    get: async () => {
      throw new Error("kv down");
    },
  } as unknown as KVNamespace;
  const failingDo = {
    idFromName: () => ({}),
    get: () => ({
      ping: async () => {
        throw new Error("object down");
      },
    }),
  } as unknown as Env["RATE_LIMITER"];

  it("KV failing → 503 naming kv only", async (t) => {
    const h = await Harness.init(t, { env: { CACHE: failingKv } });
    const res = await h.get<Readiness>("/health/ready");
    expect(res.status, res.text).toBe(503);
    expect(res.body.failed).toEqual(["kv"]);
    expect(res.body.checks.postgres.status).toBe("ok");
  });

  it("the Durable Object failing → 503 naming durableObject only", async (t) => {
    const h = await Harness.init(t, { env: { RATE_LIMITER: failingDo } });
    const res = await h.get<Readiness>("/health/ready");
    expect(res.status, res.text).toBe(503);
    expect(res.body.failed).toEqual(["durableObject"]);
    expect(res.body.checks.kv.status).toBe("ok");
  });
});

describe("readiness is safe to expose", () => {
  it("writes nothing to KV, whatever the request carries", async (t) => {
    const h0 = await Harness.init(t);
    let writes = 0;
    const real = h0.env.CACHE;
    const spy = {
      get: (...args: Parameters<KVNamespace["get"]>) => real.get(...args),
      put: async () => {
        writes++;
      },
    } as unknown as KVNamespace;
    const h = await Harness.init(t, { env: { CACHE: spy } });
    for (let i = 0; i < 3; i++) {
      const res = await h.get("/health/ready", { headers: { "X-Request-Id": `probe-${i}` } });
      expect(res.status, res.text).toBe(200);
    }
    expect(writes).toBe(0);
  });

  it("one address may call it only so often", async (t) => {
    const h = await Harness.init(t, {
      env: { RATE_LIMIT_POLICIES: JSON.stringify({ health: { limit: 3 } }) },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await h.get("/health/ready")).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Liveness stays unlimited and dependency-free.
    expect((await h.get("/health")).status).toBe(200);
  });
});
