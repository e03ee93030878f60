import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import { AppError } from "../../src/lib/errors";
import {
  DenialCache,
  DurableObjectRateLimitClient,
  NoopRateLimitClient,
} from "../../src/lib/rate-limit/client";
import type { Algorithm, Limit } from "../../src/lib/rate-limit/types";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
const base = Math.ceil(Date.now() / 3_600_000) * 3_600_000;

/** The real namespace, counting the `check` calls that reach an object. */
function countingNamespace() {
  const counter = { checks: 0 };
  const namespace = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id);
      return {
        check: (...args: Parameters<typeof stub.check>) => {
          counter.checks++;
          return stub.check(...args);
        },
        refund: (...args: Parameters<typeof stub.refund>) => stub.refund(...args),
      };
    },
  } as unknown as DurableObjectNamespace<RateLimiter>;
  return { namespace, counter };
}

function throwingNamespace(): DurableObjectNamespace<RateLimiter> {
  return {
    idFromName: (name: string) => ns.idFromName(name),
    get: () => ({
      check: async () => {
        throw new Error("Durable Object reset because its code was updated.");
      },
    }),
  } as unknown as DurableObjectNamespace<RateLimiter>;
}

const limit = (overrides: Partial<Limit> = {}): Limit => ({
  name: "api",
  algorithm: "sliding-window",
  limit: 10,
  windowMs: 60_000,
  ...overrides,
});

describe("rate limit client", () => {
  // The first object call of a test file loads the Worker's modules (seconds in the test pool):
  // done here so it cannot trip the client's 2 s timeout inside a test.
  beforeAll(async () => {
    await ns.get(ns.idFromName("warm-up")).ping();
  });

  it("fails open when the object throws and the policy says open", async () => {
    const client = new DurableObjectRateLimitClient(throwingNamespace(), { cache: null });
    const decision = await client.check("k", [limit()], { failureMode: "open" });
    expect(decision).toEqual({ allowed: true, source: "fail-open", limits: [] });
  });

  it("fails closed with DEPENDENCY_UNAVAILABLE naming the rate-limiter", async () => {
    const client = new DurableObjectRateLimitClient(throwingNamespace(), { cache: null });
    const error = await client.check("k", [limit()], { failureMode: "closed" }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: "DEPENDENCY_UNAVAILABLE",
      extensions: { dependency: "rate-limiter" },
    });
  });

  it("fails closed when the object does not answer in time", async () => {
    const hanging = {
      idFromName: (name: string) => ns.idFromName(name),
      get: () => ({ check: () => new Promise(() => {}) }),
    } as unknown as DurableObjectNamespace<RateLimiter>;
    const client = new DurableObjectRateLimitClient(hanging, { cache: null, timeoutMs: 50 });
    await expect(client.check("k", [limit()], { failureMode: "closed" })).rejects.toMatchObject({
      code: "DEPENDENCY_UNAVAILABLE",
    });
  });

  it("the no-op twin always admits", async () => {
    const decision = await new NoopRateLimitClient().check("k", [limit({ limit: 0 })]);
    expect(decision.allowed).toBe(true);
    expect(decision.source).toBe("noop");
  });

  it("refunds across objects: a deny on one identity consumes nothing on the other", async () => {
    const client = new DurableObjectRateLimitClient(ns, { cache: null });
    const ip = `ip:${crypto.randomUUID()}`;
    const account = `account:${crypto.randomUUID()}`;
    const now = base;
    const both = [
      limit({ name: "ip", limit: 100 }),
      limit({ name: "account", key: account, limit: 2 }),
    ];
    for (let i = 0; i < 2; i++) expect((await client.check(ip, both, { now })).allowed).toBe(true);
    for (let i = 0; i < 5; i++) {
      const denied = await client.check(ip, both, { now });
      expect(denied.allowed).toBe(false);
      expect(denied.limits.map((l) => l.name)).toEqual(["ip", "account"]);
    }
    const ipState = await ns.get(ns.idFromName(ip)).getState(undefined, now);
    expect(ipState.limits.map((l) => [l.name, l.used])).toEqual([["ip", 2]]);
  });

  describe("isolate short-circuit", () => {
    it("denies locally after a deny, never over-admits, and admits again after the reset", async () => {
      const { namespace, counter } = countingNamespace();
      const cache = new DenialCache();
      const client = new DurableObjectRateLimitClient(namespace, { cache });
      const key = `hot:${crypto.randomUUID()}`;
      const now = base;
      const limits = [limit({ limit: 10, algorithm: "gcra", windowMs: 10_000 })];

      const burst = await Promise.all(
        Array.from({ length: 50 }, () => client.check(key, limits, { now })),
      );
      expect(burst.filter((d) => d.allowed).length).toBe(10);
      const callsAfterBurst = counter.checks;

      const flood = await Promise.all(
        Array.from({ length: 500 }, () => client.check(key, limits, { now: now + 500 })),
      );
      expect(flood.every((d) => !d.allowed && d.source === "cache")).toBe(true);
      expect(counter.checks).toBe(callsAfterBurst);
      const cached = flood[0]?.limits[0];
      expect(cached?.retryAfterMs).toBe(500); // one token per second; 500 ms already waited

      // At the reset time exactly one token is back: the object admits one, then denies again.
      const after = await Promise.all(
        Array.from({ length: 20 }, () => client.check(key, limits, { now: now + 1_000 })),
      );
      expect(after.filter((d) => d.allowed).length).toBe(1);
      expect(counter.checks).toBeGreaterThan(callsAfterBurst);
    });

    it.each<Algorithm>(["sliding-window", "gcra"])(
      "%s: admits exactly what the object alone admits over a timeline",
      async (algorithm) => {
        const cached = countingNamespace();
        const withCache = new DurableObjectRateLimitClient(cached.namespace, {
          cache: new DenialCache(),
        });
        const direct = new DurableObjectRateLimitClient(ns, { cache: null });
        const keyA = `timeline:${crypto.randomUUID()}`;
        const keyB = `timeline:${crypto.randomUUID()}`;
        const limits = [limit({ algorithm, limit: 7, windowMs: 5_000 })];
        const admitted = { cached: 0, direct: 0 };
        // Bursts of 12 concurrent checks every 700 ms for 30 s: well over the limit.
        for (let step = 0; step < 43; step++) {
          const now = base + step * 700;
          const [a, b] = await Promise.all([
            Promise.all(Array.from({ length: 12 }, () => withCache.check(keyA, limits, { now }))),
            Promise.all(Array.from({ length: 12 }, () => direct.check(keyB, limits, { now }))),
          ]);
          admitted.cached += a.filter((d) => d.allowed).length;
          admitted.direct += b.filter((d) => d.allowed).length;
        }
        expect(admitted.cached).toBe(admitted.direct);
        expect(admitted.cached).toBeGreaterThan(0);
        expect(cached.counter.checks).toBeLessThan(43 * 12); // and it saved object calls
      },
    );

    it("keys the cache by cost and bounds its size", async () => {
      const cache = new DenialCache(4);
      const result = {
        name: "api",
        limit: 1,
        windowMs: 1_000,
        remaining: 0,
        resetMs: 1_000,
        retryAfterMs: 1_000,
        allowed: false,
      };
      cache.remember("a", 2, 0, [result]);
      expect(cache.lookup("a", 1, 10)).toBeUndefined();
      expect(cache.lookup("a", 2, 10)?.allowed).toBe(false);
      expect(cache.lookup("a", 2, 1_000)).toBeUndefined();
      for (let i = 0; i < 20; i++) cache.remember(`k${i}`, 1, 0, [result]);
      expect(cache.size).toBeLessThanOrEqual(4);
    });
  });
});
