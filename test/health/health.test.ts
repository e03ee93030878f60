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
    get: async () => null,
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
