import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import type { Algorithm, LimitSpec } from "../../src/lib/rate-limit/types";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
const MINUTE = 60_000;

function freshKey(label = "k") {
  return `${label}:${crypto.randomUUID()}`;
}

function objectFor(key: string) {
  return ns.get(ns.idFromName(key));
}

function spec(key: string, overrides: Partial<LimitSpec> = {}): LimitSpec {
  return {
    name: "api",
    algorithm: "sliding-window",
    limit: 10,
    windowMs: MINUTE,
    cost: 1,
    key,
    ...overrides,
  };
}

// A window-aligned base time near the real clock (so the idle alarm never sees it as stale).
const base = Math.ceil(Date.now() / (60 * MINUTE)) * 60 * MINUTE;

describe("RateLimiter durable object", () => {
  describe.each<Algorithm>(["sliding-window", "gcra"])("%s under concurrency", (algorithm) => {
    it("admits exactly L of C=50 concurrent checks at one key, 20 rounds", async () => {
      const L = 10;
      const admittedPerRound: number[] = [];
      for (let round = 0; round < 20; round++) {
        const key = freshKey("conc");
        const stub = objectFor(key);
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            stub.check({ limits: [spec(key, { algorithm, limit: L })] }),
          ),
        );
        admittedPerRound.push(results.filter((r) => r.allowed).length);
      }
      expect(admittedPerRound).toEqual(Array(20).fill(L));
    });
  });

  it("keeps keys independent", async () => {
    const a = freshKey("a");
    const b = freshKey("b");
    const now = base;
    for (let i = 0; i < 3; i++) {
      expect((await objectFor(a).check({ limits: [spec(a, { limit: 3 })], now })).allowed).toBe(
        true,
      );
    }
    expect((await objectFor(a).check({ limits: [spec(a, { limit: 3 })], now })).allowed).toBe(
      false,
    );
    const other = await objectFor(b).check({ limits: [spec(b, { limit: 3 })], now });
    expect(other.allowed).toBe(true);
    expect(other.limits[0]?.remaining).toBe(2);
    // Two counters in one object are independent too.
    const sameObject = await objectFor(a).check({
      limits: [spec(a, { name: "other", limit: 3 })],
      now,
    });
    expect(sameObject.allowed).toBe(true);
  });

  it("is all-or-nothing across limits: a deny on one consumes nothing on the other", async () => {
    const key = freshKey("multi");
    const stub = objectFor(key);
    const now = base;
    const wide = spec(key, { name: "wide", limit: 100 });
    const narrow = spec(key, { name: "narrow", limit: 2 });
    await stub.check({ limits: [wide, narrow], now });
    await stub.check({ limits: [wide, narrow], now });
    for (let i = 0; i < 5; i++) {
      const denied = await stub.check({ limits: [wide, narrow], now });
      expect(denied.allowed).toBe(false);
      expect(denied.limits.map((l) => [l.name, l.allowed])).toEqual([
        ["wide", true],
        ["narrow", false],
      ]);
    }
    const state = await stub.getState(["wide"], now);
    expect(state.limits.map((l) => l.used)).toEqual([2]);
    const wideOnly = await stub.check({ limits: [wide], now });
    expect(wideOnly.limits[0]?.remaining).toBe(97);
  });

  it("keeps counts across eviction", async () => {
    const key = freshKey("evict");
    const stub = objectFor(key);
    const now = base;
    for (let i = 0; i < 4; i++) await stub.check({ limits: [spec(key, { limit: 5 })], now });
    await evictDurableObject(stub);
    const after = await stub.check({ limits: [spec(key, { limit: 5 })], now });
    expect(after.allowed).toBe(true);
    expect(after.limits[0]?.remaining).toBe(0);
    await evictDurableObject(stub);
    expect((await stub.check({ limits: [spec(key, { limit: 5 })], now })).allowed).toBe(false);
  });

  describe("sliding window (injected clock)", () => {
    it("weights the previous window by its overlap and reports exact retry times", async () => {
      const key = freshKey("sw");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 10, windowMs: MINUTE });
      for (let i = 0; i < 10; i++) {
        expect((await stub.check({ limits: [limit], now: base + 30_000 })).allowed).toBe(true);
      }
      const full = await stub.check({ limits: [limit], now: base + 30_000 });
      expect(full.allowed).toBe(false);
      // Next window starts at base+60s; 10 previous × (1 - x/60s) + 1 ≤ 10 ⇒ x ≥ 6 s.
      expect(full.limits[0]?.retryAfterMs).toBe(30_000 + 6_000);

      // At 25 % into the next window the previous counts 7.5: two fit (7.5 + 2 = 9.5), not three.
      const quarter = base + MINUTE + 15_000;
      expect((await stub.check({ limits: [limit], now: quarter })).limits[0]?.remaining).toBe(1);
      expect((await stub.check({ limits: [limit], now: quarter })).allowed).toBe(true);
      const denied = await stub.check({ limits: [limit], now: quarter });
      expect(denied.allowed).toBe(false);
      // 10 × (1 - e/60s) + 2 + 1 ≤ 10 ⇒ e ≥ 18 s into the window: 3 s from now.
      expect(denied.limits[0]?.retryAfterMs).toBe(3_000);
      expect((await stub.check({ limits: [limit], now: quarter + 2_999 })).allowed).toBe(false);
      expect((await stub.check({ limits: [limit], now: quarter + 3_000 })).allowed).toBe(true);

      // Two windows later everything has decayed.
      const later = await stub.check({ limits: [limit], now: base + 3 * MINUTE });
      expect(later.limits[0]?.remaining).toBe(9);
    });
  });

  describe("GCRA token bucket (injected clock)", () => {
    it("allows a burst of L, then one token per window/L", async () => {
      const key = freshKey("gcra");
      const stub = objectFor(key);
      const limit = spec(key, { algorithm: "gcra", limit: 10, windowMs: 10_000 }); // 1 token/s
      const t0 = base;
      for (let i = 0; i < 10; i++) {
        const r = await stub.check({ limits: [limit], now: t0 });
        expect(r.allowed).toBe(true);
        expect(r.limits[0]?.remaining).toBe(9 - i);
      }
      const denied = await stub.check({ limits: [limit], now: t0 });
      expect(denied.allowed).toBe(false);
      expect(denied.limits[0]?.retryAfterMs).toBe(1_000);
      expect(denied.limits[0]?.resetMs).toBe(10_000);
      expect((await stub.check({ limits: [limit], now: t0 + 999 })).allowed).toBe(false);
      const refilled = await stub.check({ limits: [limit], now: t0 + 1_000 });
      expect(refilled.allowed).toBe(true);
      expect(refilled.limits[0]?.remaining).toBe(0);
      // After 5.5 s idle, five whole tokens are back.
      const half = await stub.check({ limits: [limit], now: t0 + 6_500 });
      expect(half.limits[0]?.remaining).toBe(4);
    });

    it("charges the cost and never admits a cost above the bucket", async () => {
      const key = freshKey("gcra-cost");
      const stub = objectFor(key);
      const now = base;
      const big = spec(key, { algorithm: "gcra", limit: 10, windowMs: 10_000, cost: 4 });
      expect((await stub.check({ limits: [big], now })).limits[0]?.remaining).toBe(6);
      expect((await stub.check({ limits: [big], now })).limits[0]?.remaining).toBe(2);
      const denied = await stub.check({ limits: [big], now });
      expect(denied.allowed).toBe(false);
      expect(denied.limits[0]?.retryAfterMs).toBe(2_000);
      expect(
        (await stub.check({ limits: [{ ...big, cost: 11 }], now: now + 60_000 })).allowed,
      ).toBe(false);
    });
  });

  describe("overrides", () => {
    it("raises and lowers limits, blocks until a time, and expires", async () => {
      const key = freshKey("override");
      const stub = objectFor(key);
      const now = base;
      const limit = spec(key, { limit: 2 });

      await stub.setOverride({ limit: 5, expiresAt: now + MINUTE });
      const raised = await Promise.all(
        Array.from({ length: 8 }, () => stub.check({ limits: [limit], now })),
      );
      expect(raised.filter((r) => r.allowed).length).toBe(5);
      expect(raised[0]?.limits[0]?.limit).toBe(5);

      await stub.setOverride({ multiplier: 0.5, expiresAt: now + 10 * MINUTE });
      const lowered = await stub.check({ limits: [spec(key, { name: "x", limit: 4 })], now });
      expect(lowered.limits[0]?.limit).toBe(2);

      await stub.setOverride({ blockedUntil: now + 30_000, expiresAt: now + MINUTE });
      const blocked = await stub.check({ limits: [spec(key, { name: "fresh" })], now });
      expect(blocked.allowed).toBe(false);
      expect(blocked.limits[0]?.retryAfterMs).toBe(30_000);
      expect((await stub.check({ limits: [spec(key, { name: "fresh" })], now })).allowed).toBe(
        false,
      );
      // Nothing was consumed while blocked.
      const open = await stub.check({ limits: [spec(key, { name: "fresh" })], now: now + 30_000 });
      expect(open.allowed).toBe(true);
      expect(open.limits[0]?.remaining).toBe(9);

      expect((await stub.getState()).override).toEqual({
        blockedUntil: now + 30_000,
        expiresAt: now + MINUTE,
      });
      await stub.clearOverride();
      expect((await stub.getState()).override).toBeNull();
    });
  });

  it("resets named counters or all of them", async () => {
    const key = freshKey("reset");
    const stub = objectFor(key);
    const now = base;
    await stub.check({ limits: [spec(key, { name: "a" }), spec(key, { name: "b" })], now });
    expect(await stub.reset(["a"])).toEqual({ deleted: 1 });
    expect((await stub.getState(undefined, now)).limits.map((l) => l.name)).toEqual(["b"]);
    expect(await stub.reset()).toEqual({ deleted: 1 });
    expect((await stub.getState()).limits).toEqual([]);
  });

  it("deletes idle state in its alarm and keeps live state", async () => {
    const idleKey = freshKey("idle");
    const idle = objectFor(idleKey);
    // State written "long ago": every window has passed.
    await idle.check({ limits: [spec(idleKey)], now: Date.now() - 10 * MINUTE });
    expect((await idle.getState()).limits).toHaveLength(1);
    expect(await runDurableObjectAlarm(idle)).toBe(true);
    expect((await idle.getState()).limits).toEqual([]);
    const tables = await runInDurableObject(idle, (_instance: RateLimiter, state) =>
      state.storage.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'rl_%'")
        .one(),
    );
    expect(tables.n).toBe(2); // recreated empty by getState: the rows are gone

    const liveKey = freshKey("live");
    const live = objectFor(liveKey);
    await live.check({ limits: [spec(liveKey)] });
    expect(await runDurableObjectAlarm(live)).toBe(true);
    expect((await live.getState()).limits).toHaveLength(1);
    // It rescheduled itself for when the state goes idle.
    const alarm = await runInDurableObject(live, (_i: RateLimiter, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).toBeGreaterThan(Date.now() + MINUTE);
  });
});
