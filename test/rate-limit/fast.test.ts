import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import { handleError } from "../../src/lib/handle-error";
import { createRouter } from "../../src/lib/openapi";
import { DenialCache } from "../../src/lib/rate-limit/client";
import { FastLimiterState, FastRateLimitClient } from "../../src/lib/rate-limit/fast";
import { rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, resolvePolicies } from "../../src/lib/rate-limit/policies";
import type { Algorithm, Decision, Limit } from "../../src/lib/rate-limit/types";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
const base = Math.ceil(Date.now() / 3_600_000) * 3_600_000;

/** One simulated isolate: its own fast-mode state, and the syncs it left to `waitUntil`. */
function isolate(syncBatch: number, namespace: DurableObjectNamespace<RateLimiter> = ns) {
  const background: Promise<unknown>[] = [];
  const client = new FastRateLimitClient(namespace, {
    syncBatch,
    state: new FastLimiterState(),
    syncIntervalMs: 1_000,
    denials: new DenialCache(),
  });
  return {
    check: (key: string, limits: Limit[], now: number) =>
      client.check(key, limits, {
        now,
        failureMode: "open",
        waitUntil: (p) => background.push(p),
      }),
    /** Waits for every off-path sync so far (what the runtime does after the response). */
    settle: async () => {
      while (background.length > 0) await Promise.all(background.splice(0));
    },
  };
}

function countingNamespace() {
  const counter = { reconciles: 0 };
  const namespace = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id);
      return {
        reconcile: (...args: Parameters<typeof stub.reconcile>) => {
          counter.reconciles++;
          return stub.reconcile(...args);
        },
      };
    },
  } as unknown as DurableObjectNamespace<RateLimiter>;
  return { namespace, counter };
}

const limit = (overrides: Partial<Limit> = {}): Limit => ({
  name: "api",
  algorithm: "gcra",
  limit: 50,
  windowMs: 3_600_000,
  ...overrides,
});

const admitted = (decisions: Decision[]) => decisions.filter((d) => d.allowed).length;

describe("fast mode", () => {
  beforeAll(async () => {
    await ns.get(ns.idFromName("warm-up")).ping();
  });

  it.each<Algorithm>(["gcra", "sliding-window"])(
    "%s: one isolate never over-admits under 500 concurrent requests, 5 rounds",
    async (algorithm) => {
      const L = 50;
      const B = 5;
      for (let round = 0; round < 5; round++) {
        const one = isolate(B);
        const key = `fast:${crypto.randomUUID()}`;
        const limits = [limit({ algorithm, limit: L })];
        const decisions = await Promise.all(
          Array.from({ length: 500 }, () => one.check(key, limits, base)),
        );
        // The documented bound is L + B per isolate; alone on the key, it is exact.
        expect(admitted(decisions)).toBe(L);
        await one.settle();
        const state = await ns.get(ns.idFromName(key)).getState(undefined, base);
        expect(state.limits[0]?.used).toBeCloseTo(L, 6);
      }
    },
  );

  it("decides locally and only syncs once per batch", async () => {
    const { namespace, counter } = countingNamespace();
    const one = isolate(10, namespace);
    const key = `fast:${crypto.randomUUID()}`;
    const limits = [limit({ limit: 1_000 })];
    const decisions: Decision[] = [];
    for (let i = 0; i < 100; i++) {
      decisions.push(await one.check(key, limits, base));
      await one.settle();
    }
    expect(decisions.every((d) => d.allowed && d.source === "local")).toBe(true);
    expect(counter.reconciles).toBe(10);
    expect(decisions[99]?.limits[0]?.remaining).toBe(900);
    const state = await ns.get(ns.idFromName(key)).getState(undefined, base);
    expect(state.limits[0]?.used).toBeCloseTo(100, 6);
  });

  it("a key seen fewer than syncBatch times costs no object call", async () => {
    const { namespace, counter } = countingNamespace();
    const one = isolate(10, namespace);
    for (let i = 0; i < 200; i++) {
      expect((await one.check(`fresh:${crypto.randomUUID()}`, [limit()], base)).allowed).toBe(true);
    }
    await one.settle();
    expect(counter.reconciles).toBe(0);
  });

  it("two isolates stay within L + 2 × syncBatch, and both deny after one sync", async () => {
    const L = 40;
    const B = 4;
    const a = isolate(B);
    const b = isolate(B);
    const key = `fast2:${crypto.randomUUID()}`;
    const limits = [limit({ limit: L })];
    let total = 0;
    // Interleaved concurrent bursts from both isolates, the syncs finishing in between.
    for (let step = 0; step < 20; step++) {
      const [fromA, fromB] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, () => a.check(key, limits, base))),
        Promise.all(Array.from({ length: 5 }, () => b.check(key, limits, base))),
      ]);
      total += admitted(fromA) + admitted(fromB);
      await Promise.all([a.settle(), b.settle()]);
    }
    expect(total).toBeGreaterThanOrEqual(L);
    expect(total).toBeLessThanOrEqual(L + 2 * B);
    for (const side of [a, b]) {
      const denied = await side.check(key, limits, base);
      expect(denied.allowed).toBe(false);
      expect(denied.limits[0]?.retryAfterMs).toBeGreaterThan(0);
    }
  });

  it("converges to the object's denial within one sync interval", async () => {
    const L = 20;
    const B = 2;
    const stale = isolate(B);
    const busy = isolate(B);
    const key = `converge:${crypto.randomUUID()}`;
    const limits = [limit({ limit: L })];
    // `stale` learns about the key (one synced batch), then `busy` uses up the rest.
    for (let i = 0; i < B; i++) expect((await stale.check(key, limits, base)).allowed).toBe(true);
    await stale.settle();
    let busyAdmitted = 0;
    for (let i = 0; i < 3 * L; i++) {
      if ((await busy.check(key, limits, base)).allowed) busyAdmitted++;
      await busy.settle();
    }
    expect(busyAdmitted).toBe(L - B);

    // One sync interval later `stale` still believes in its old model for at most its batch,
    // refreshes off the request path, and then denies like the object.
    const later = base + 1_000;
    const before: Decision[] = [];
    for (let i = 0; i < 10; i++) {
      before.push(await stale.check(key, limits, later));
      await stale.settle();
    }
    expect(admitted(before)).toBeLessThanOrEqual(B);
    expect(before.slice(-5).every((d) => !d.allowed)).toBe(true);
  });

  it("adopts an operator's block at the next sync", async () => {
    const one = isolate(2);
    const key = `blocked:${crypto.randomUUID()}`;
    const limits = [limit({ limit: 100 })];
    for (let i = 0; i < 2; i++) await one.check(key, limits, base);
    await one.settle();
    await ns
      .get(ns.idFromName(key))
      .setOverride({ blockedUntil: base + 60_000, expiresAt: base + 60_000 });
    const later = base + 1_000;
    await one.check(key, limits, later); // stale: admitted locally, triggers the refresh
    await one.settle();
    const denied = await one.check(key, limits, later);
    expect(denied.allowed).toBe(false);
    expect(denied.limits[0]?.retryAfterMs).toBe(59_000);
  });

  it("fails open when the object throws, locally and on the request path", async () => {
    const throwing = {
      idFromName: (name: string) => ns.idFromName(name),
      get: () => ({
        reconcile: async () => {
          throw new Error("Durable Object reset because its code was updated.");
        },
      }),
    } as unknown as DurableObjectNamespace<RateLimiter>;
    const one = isolate(3, throwing);
    const key = `down:${crypto.randomUUID()}`;
    const decisions: Decision[] = [];
    for (let i = 0; i < 10; i++) {
      decisions.push(await one.check(key, [limit({ limit: 5 })], base));
      await one.settle(); // the failed syncs never reject
    }
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(decisions.slice(0, 3).every((d) => d.source === "local")).toBe(true);
    expect(decisions.slice(3).every((d) => d.source === "fail-open")).toBe(true);
  });

  it("is the api policy's default mode and is configurable per environment", () => {
    expect(defaultPolicies.api.mode).toBe("fast");
    for (const name of ["auth", "upload", "payment", "strict"] as const) {
      expect(defaultPolicies[name].mode).toBe("exact");
    }
    const policies = resolvePolicies(
      '{"api":{"mode":"exact"},"strict":{"mode":"fast","syncBatch":2}}',
    );
    expect(policies.api.mode).toBe("exact");
    expect(policies.strict).toMatchObject({ mode: "fast", syncBatch: 2 });
  });

  it("through the middleware: headers, 429 at the limit, syncs in waitUntil", async () => {
    const policies = { ...defaultPolicies, api: { ...defaultPolicies.api, limit: 3 } };
    // One state across requests, as one isolate has.
    const state = new FastLimiterState();
    const shared = createRouter();
    const user = crypto.randomUUID();
    shared.get(
      "/api",
      async (c, next) => {
        c.set("userId", user);
        await next();
      },
      rateLimit("api", {
        policies,
        client: () => new FastRateLimitClient(ns, { syncBatch: 1, state }),
      }),
      (c) => c.json({ ok: true }),
    );
    shared.onError(handleError);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ctx = createExecutionContext();
      const res = await shared.request("/api", {}, env, ctx);
      await waitOnExecutionContext(ctx);
      statuses.push(res.status);
      if (i === 0) expect(res.headers.get("RateLimit-Policy")).toBe('"api";q=3;w=60');
      if (i === 3) expect(res.headers.get("Retry-After")).not.toBeNull();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const stored = await ns.get(ns.idFromName(`api:user:${user}`)).getState();
    expect(stored.limits[0]?.used).toBeGreaterThan(2.9);
  });
});

describe("fast mode denial short-circuit", () => {
  it("answers repeated denials from the cache until the retry time, then admits again", async () => {
    const iso = isolate(5);
    const key = `fast-cache-${crypto.randomUUID()}`;
    const lim = limit({ limit: 2, windowMs: 60_000 });
    const t0 = base + 7_000_000;
    expect((await iso.check(key, [lim], t0)).allowed).toBe(true);
    expect((await iso.check(key, [lim], t0)).allowed).toBe(true);
    const denied = await iso.check(key, [lim], t0);
    expect(denied).toMatchObject({ allowed: false, source: "local" });
    const again = await iso.check(key, [lim], t0 + 1);
    expect(again).toMatchObject({ allowed: false, source: "cache" });
    const retryMs = Math.max(...denied.limits.map((l) => l.retryAfterMs));
    expect((await iso.check(key, [lim], t0 + retryMs)).allowed).toBe(true);
    await iso.settle();
  });
});
