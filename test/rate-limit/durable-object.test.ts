import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  FLUSH_DELAY_MS,
  IDLE_GRACE_MS,
  type RateLimiter,
  UNFLUSHED_SHARE,
} from "../../src/durable-objects/rate-limiter";
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

/** Storage as the object left it, read without going through the object's methods. */
async function stored(stub: DurableObjectStub<RateLimiter>) {
  return runInDurableObject(stub, async (_instance: RateLimiter, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name)
      .filter((name) => name.startsWith("rl_"))
      .sort();
    const count = (table: string) =>
      tables.includes(table)
        ? sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n
        : undefined;
    return {
      tables,
      rows: count("rl_state"),
      overrides: count("rl_override"),
      alarm: await state.storage.getAlarm(),
    };
  });
}

const empty = { tables: [], rows: undefined, overrides: undefined, alarm: null };

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

    it("admits exactly what is left to bursts at a key in use, across eviction and reset", async () => {
      const key = freshKey("warm");
      const stub = objectFor(key);
      const limit = spec(key, { algorithm, limit: 10 });
      const burst = async (now: number) => {
        const results = await Promise.all(
          Array.from({ length: 50 }, () => stub.check({ limits: [limit], now })),
        );
        return results.filter((r) => r.allowed).length;
      };
      for (let i = 0; i < 4; i++) {
        expect((await stub.check({ limits: [limit], now: base })).allowed).toBe(true);
      }
      expect(await burst(base)).toBe(6);
      expect(await burst(base)).toBe(0);
      // A new instance starts from storage: still nothing left.
      await evictDurableObject(stub);
      expect(await burst(base)).toBe(0);
      // Half of the limit has come back (GCRA: 30 s of refill; sliding window: halfway into the
      // next window, the full previous one weighs 5).
      const later = algorithm === "gcra" ? base + 30_000 : base + MINUTE + 30_000;
      expect(await burst(later)).toBe(5);
      await stub.reset();
      expect(await burst(later)).toBe(10);
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

  it("starts a counter over when its policy's algorithm or window changes, and follows a new limit", async () => {
    const key = freshKey("policy");
    const stub = objectFor(key);
    const now = base;
    const sliding = spec(key, { limit: 3 });
    for (let i = 0; i < 3; i++)
      expect((await stub.check({ limits: [sliding], now })).allowed).toBe(true);
    expect((await stub.check({ limits: [sliding], now })).allowed).toBe(false);
    const used = async () =>
      (await stub.getState(undefined, now)).limits.map((l) => [l.algorithm, l.used]);

    const gcra = spec(key, { algorithm: "gcra", limit: 3 });
    expect((await stub.check({ limits: [gcra], now })).limits[0]?.remaining).toBe(2);
    expect(await used()).toEqual([["gcra", 1]]);
    // A raised limit keeps the bucket (full for another 20 s: two of six now), and the state
    // is read with the new limit from then on.
    const raised = { ...gcra, limit: 6 };
    expect((await stub.check({ limits: [raised], now })).limits[0]?.remaining).toBe(3);
    expect(await used()).toEqual([["gcra", 3]]);
    const longer = { ...raised, windowMs: 2 * MINUTE };
    expect((await stub.check({ limits: [longer], now })).limits[0]?.remaining).toBe(5);
    await evictDurableObject(stub);
    expect(await used()).toEqual([["gcra", 1]]);
    expect((await stub.check({ limits: [longer], now })).limits[0]?.remaining).toBe(4);
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

  describe("what reaches storage, and when", () => {
    it.each<Algorithm>(["sliding-window", "gcra"])(
      "%s: 250 concurrent checks at limit 200 admit exactly 200; an abrupt reset then forgets at most 5% of it",
      async (algorithm) => {
        const key = freshKey("share");
        const stub = objectFor(key);
        const limit = spec(key, { algorithm, limit: 200 });
        const burst = async (n: number) => {
          const results = await Promise.all(
            Array.from({ length: n }, () => stub.check({ limits: [limit], now: base })),
          );
          return results.filter((r) => r.allowed).length;
        };
        expect(await burst(250)).toBe(200);
        await evictDurableObject(stub); // a crash or deploy: memory is gone, no timer ran
        const regained = await burst(250);
        expect(regained).toBeLessThanOrEqual(Math.floor(200 * UNFLUSHED_SHARE));
        expect(await burst(10)).toBe(0);
      },
    );

    it("writes what is unflushed within FLUSH_DELAY_MS, so an idle object loses nothing", async () => {
      const key = freshKey("timer");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 100 });
      for (let i = 0; i < 3; i++) await stub.check({ limits: [limit], now: base });
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 500));
      await evictDurableObject(stub);
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(96);
    });

    it("an abrupt reset before the timer loses the unflushed admissions, and only those", async () => {
      const key = freshKey("lost");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 100 });
      // A new instance writes its first admission at once; the next four wait in memory.
      for (let i = 0; i < 5; i++) await stub.check({ limits: [limit], now: base });
      await evictDurableObject(stub);
      // The four were in memory only (within the documented bound): lost.
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(98);
      // The 6th unflushed admission writes all six.
      for (let i = 0; i < 6; i++) await stub.check({ limits: [limit], now: base });
      await evictDurableObject(stub);
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(91);
    });

    it("state, reset and the idle alarm see unflushed admissions, and nothing comes back after them", async () => {
      const key = freshKey("reads");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 100 });
      for (let i = 0; i < 3; i++) await stub.check({ limits: [limit], now: base });
      const [counter] = (await stub.getState()).limits;
      expect(counter?.used).toBeGreaterThan(2.9);
      await evictDurableObject(stub); // getState wrote them
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(96);

      // Two counters unflushed; resetting one keeps the other's admissions.
      const other = spec(key, { name: "other", limit: 100 });
      await stub.check({ limits: [limit, other], now: base });
      await stub.reset(["api"]);
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 500));
      await evictDurableObject(stub);
      const after = await stub.check({ limits: [limit, other], now: base });
      expect(after.limits.map((l) => l.remaining)).toEqual([99, 98]);

      // The alarm running while a live counter is unflushed keeps it (and its own schedule).
      const live = freshKey("live-unflushed");
      const liveStub = objectFor(live);
      const liveLimit = spec(live, { limit: 100 });
      for (let i = 0; i < 3; i++) await liveStub.check({ limits: [liveLimit], now: base });
      expect(await runDurableObjectAlarm(liveStub)).toBe(true);
      await evictDurableObject(liveStub);
      const kept = await liveStub.check({ limits: [liveLimit], now: base });
      expect(kept.limits[0]?.remaining).toBe(96);

      // Long expired and unflushed: the alarm writes, then deletes it, and the storage with it.
      const old = freshKey("old");
      const idle = objectFor(old);
      const oldLimit = spec(old, { limit: 100 });
      await idle.check({ limits: [oldLimit], now: Date.now() - IDLE_GRACE_MS - 3 * MINUTE });
      expect(await runDurableObjectAlarm(idle)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 500));
      // No timer wrote it back (or made the tables again) after the storage was deleted.
      expect(await stored(idle)).toEqual(empty);
    });

    it("a full reset drops unflushed admissions with the rest, and nothing is written back", async () => {
      const key = freshKey("full-reset");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 100 });
      for (let i = 0; i < 3; i++) await stub.check({ limits: [limit], now: base });
      expect((await stub.reset()).deleted).toBe(1); // the first was written at once
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 500));
      expect((await stored(stub)).rows).toBe(0);
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(99);
    });

    it("a write that fails refuses the call and counts nothing; the timer writes the rest later", async () => {
      const key = freshKey("failing");
      const stub = objectFor(key);
      const small = spec(key, { name: "small", limit: 10 }); // written on every admission
      const large = spec(key, { name: "large", limit: 100 }); // waits in memory
      await stub.check({ limits: [large], now: base });
      await runInDurableObject(stub, (instance: RateLimiter, state) => {
        const sql = state.storage.sql;
        const exec = sql.exec;
        sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
          if (query.includes("INSERT INTO rl_state")) throw new Error("disk full");
          return exec.call(sql, query, ...bindings);
        }) as typeof sql.exec;
        try {
          expect(() => instance.check({ limits: [small, large], now: base })).toThrow("disk full");
        } finally {
          sql.exec = exec;
        }
      });
      // The refused call consumed nothing, on either counter; the earlier admission is kept.
      const next = await stub.check({ limits: [small, large], now: base });
      expect(next.limits.map((l) => l.remaining)).toEqual([9, 98]);
      await evictDurableObject(stub);
      const after = await stub.check({ limits: [small, large], now: base });
      expect(after.limits.map((l) => l.remaining)).toEqual([8, 97]);
    });

    it("writes unflushed admissions before an override changes the limit they were bounded by", async () => {
      const key = freshKey("override-flush");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 10 });
      // Active at `base` (which may be up to an hour ahead of the clock).
      await stub.setOverride({ limit: 100, expiresAt: base + 10 * MINUTE });
      for (let i = 0; i < 3; i++) {
        expect((await stub.check({ limits: [limit], now: base })).limits[0]?.limit).toBe(100);
      }
      await stub.clearOverride();
      await evictDurableObject(stub);
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(6);
    });

    it("writes unflushed rows before dropping its row cache (more than 256 counters)", async () => {
      const key = freshKey("many-rows");
      const stub = objectFor(key);
      const names = Array.from({ length: 300 }, (_, i) => `n${i}`);
      await runInDurableObject(stub, (instance: RateLimiter) => {
        for (const name of names) {
          instance.check({ limits: [spec(key, { name, limit: 100 })], now: base });
        }
      });
      await evictDurableObject(stub);
      // n0 was written at once (a new instance's first admission); n1 waited in memory.
      const second = await stub.check({
        limits: [spec(key, { name: "n1", limit: 100 })],
        now: base,
      });
      expect(second.limits[0]?.remaining).toBe(98);
    });
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
      const cleared = await stub.check({ limits: [spec(key, { name: "y", limit: 4 })], now });
      expect(cleared.limits[0]?.limit).toBe(4);
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
    // The next check starts from nothing, not from what the object held before the reset.
    const after = await stub.check({ limits: [spec(key, { name: "b" })], now });
    expect(after.limits[0]?.remaining).toBe(9);
  });

  describe("idle cleanup", () => {
    it("deletes state idle past the grace period, then answers like a new object", async () => {
      const idleKey = freshKey("idle");
      const idle = objectFor(idleKey);
      const limit = spec(idleKey, { limit: 3 });
      // State written "long ago": every window and the grace period after it have passed.
      await idle.check({ limits: [limit], now: Date.now() - IDLE_GRACE_MS - 3 * MINUTE });
      expect((await idle.getState()).limits).toHaveLength(1);
      expect(await runDurableObjectAlarm(idle)).toBe(true);
      // Nothing left: the whole storage is gone (no tables, no alarm), not just the rows.
      expect(await stored(idle)).toEqual(empty);

      // The same instance still answers, exactly, and sets its alarm again.
      const burst = await Promise.all(
        Array.from({ length: 20 }, () => idle.check({ limits: [limit] })),
      );
      expect(burst.filter((r) => r.allowed)).toHaveLength(3);
      const after = await stored(idle);
      expect(after.tables).toEqual(["rl_override", "rl_state"]);
      expect(after.alarm).toBeGreaterThan(Date.now() + IDLE_GRACE_MS - MINUTE);
      // And so does a new instance.
      await evictDurableObject(idle);
      expect((await idle.check({ limits: [limit] })).allowed).toBe(false);
    });

    it("schedules the cleanup for the counter's expiry plus the grace period", async () => {
      const key = freshKey("live");
      const stub = objectFor(key);
      await stub.check({ limits: [spec(key)] });
      const [counter] = (await stub.getState()).limits;
      expect(counter).toBeDefined();
      const cleanupAt = (counter?.expiresAt ?? 0) + IDLE_GRACE_MS;
      expect((await stored(stub)).alarm).toBe(cleanupAt);
      // Run early (the counter is live), the alarm keeps it and sets itself again for that time.
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await stored(stub)).toMatchObject({ rows: 1, alarm: cleanupAt });
      // Use moves the counter's expiry later, never its cleanup earlier: no new alarm.
      await stub.check({ limits: [spec(key)] });
      expect((await stored(stub)).alarm).toBe(cleanupAt);
    });

    it("keeps state that expired within the grace period, and reschedules itself", async () => {
      const key = freshKey("recent");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 3 });
      // Expired a minute or two ago: the old alarm deleted this and the object's storage.
      const writtenAt = Date.now() - 3 * MINUTE;
      await stub.check({ limits: [limit], now: writtenAt });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const after = await stored(stub);
      expect(after.rows).toBe(1);
      const expiresAt = writtenAt - (writtenAt % MINUTE) + 2 * MINUTE;
      expect(after.alarm).toBe(expiresAt + IDLE_GRACE_MS);
      // Expired state counts as none.
      expect((await stub.check({ limits: [limit] })).limits[0]?.remaining).toBe(2);
    });

    it("deletes an expired override, and the storage once nothing else is left", async () => {
      const key = freshKey("override-only");
      const stub = objectFor(key);
      await stub.setOverride({ limit: 50, expiresAt: Date.now() - 1 });
      expect((await stored(stub)).alarm).not.toBeNull();
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await stored(stub)).toEqual(empty);
    });

    it("brings the cleanup forward for an override that expires first, then keeps the counters", async () => {
      const key = freshKey("override-first");
      const stub = objectFor(key);
      await stub.check({ limits: [spec(key)] });
      const countersAlarm = (await stored(stub)).alarm ?? 0;
      const expiresAt = Date.now() + MINUTE;
      await stub.setOverride({ limit: 50, expiresAt });
      expect((await stored(stub)).alarm).toBe(expiresAt);
      // Once the override has expired, the alarm deletes it and sets itself for the counters.
      await stub.setOverride({ limit: 50, expiresAt: Date.now() - 1 });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await stored(stub)).toEqual({
        tables: ["rl_override", "rl_state"],
        rows: 1,
        overrides: 0,
        alarm: countersAlarm,
      });
      expect((await stub.check({ limits: [spec(key)] })).limits[0]?.limit).toBe(10);
    });

    it("an override that outlives the counters does not hold back their cleanup", async () => {
      const key = freshKey("override-alarm");
      const stub = objectFor(key);
      await stub.check({ limits: [spec(key)] });
      const armed = (await stored(stub)).alarm;
      await evictDurableObject(stub); // a new instance reads the pending alarm
      await stub.setOverride({ limit: 20, expiresAt: Date.now() + 7 * 24 * 60 * MINUTE });
      expect((await stored(stub)).alarm).toBe(armed);
    });

    /** Runs `checks` inside the object, recording the storage work they do. */
    function watch(stub: DurableObjectStub<RateLimiter>, checks: (instance: RateLimiter) => void) {
      return runInDurableObject(stub, (instance: RateLimiter, state) => {
        const sql = state.storage.sql;
        const exec = sql.exec;
        const setAlarm = state.storage.setAlarm;
        const seen = { statements: [] as string[], alarms: 0 };
        sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
          seen.statements.push(query.trim().split(/\s+/).slice(0, 3).join(" "));
          return exec.call(sql, query, ...bindings);
        }) as typeof sql.exec;
        state.storage.setAlarm = (...args) => {
          seen.alarms++;
          return setAlarm.apply(state.storage, args);
        };
        try {
          checks(instance);
          return seen;
        } finally {
          sql.exec = exec;
          state.storage.setAlarm = setAlarm;
        }
      });
    }

    it("serves a key used steadily under a large limit from memory: one write per 5% of the limit, no reads or new alarm", async () => {
      const key = freshKey("steady");
      const stub = objectFor(key);
      // 100 per minute: up to 5 admissions may wait in memory; the 6th writes all 6.
      const limit = spec(key, { algorithm: "gcra", limit: 100 });
      await stub.check({ limits: [limit] });
      await stub.getState(); // writes it: the rounds below start with nothing unflushed
      expect(Math.floor(100 * UNFLUSHED_SHARE)).toBe(5);
      for (let round = 0; round < 3; round++) {
        const seen = await watch(stub, (instance) => {
          for (let i = 0; i < 6; i++)
            expect(instance.check({ limits: [limit] }).allowed).toBe(true);
        });
        expect(seen).toEqual({ statements: ["INSERT INTO rl_state"], alarms: 0 });
      }
    });

    it("writes at once when nothing was written for FLUSH_DELAY_MS: a key used now and then needs no timer", async () => {
      const key = freshKey("now-and-then");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 100 });
      const seen = await watch(stub, (instance) => {
        instance.check({ limits: [limit], now: base }); // a new instance's first: written
        instance.check({ limits: [limit], now: base }); // within 2 s of it: waits
      });
      expect(seen.statements.filter((q) => q === "INSERT INTO rl_state")).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 200));
      // The timer wrote the second; the next call after a quiet spell writes itself at once.
      const later = await watch(stub, (instance) => {
        instance.check({ limits: [limit], now: base });
      });
      expect(later.statements.filter((q) => q === "INSERT INTO rl_state")).toHaveLength(1);
      await evictDurableObject(stub);
      expect((await stub.check({ limits: [limit], now: base })).limits[0]?.remaining).toBe(96);
    });

    it("writes every admission of a limit under 20 at once", async () => {
      for (const [max, writesPerThreeChecks] of [
        [19, 3],
        [20, 2], // the first (a new instance writes at once), then every second one
      ] as const) {
        const key = freshKey(`small-${max}`);
        const stub = objectFor(key);
        const limit = spec(key, { limit: max });
        const seen = await watch(stub, (instance) => {
          for (let i = 0; i < 3; i++) instance.check({ limits: [limit] });
        });
        expect(seen.statements.filter((q) => q === "INSERT INTO rl_state")).toHaveLength(
          writesPerThreeChecks,
        );
      }
    });

    it("a new instance leaves a pending alarm alone, and sets one when none is pending", async () => {
      const key = freshKey("instance");
      const stub = objectFor(key);
      const limit = spec(key, { limit: 3 });
      await stub.check({ limits: [limit] });
      const armed = (await stored(stub)).alarm;
      await evictDurableObject(stub);
      const next = await watch(stub, (instance) => {
        expect(instance.check({ limits: [limit] }).limits[0]?.remaining).toBe(1);
      });
      expect(next.alarms).toBe(0);
      expect((await stored(stub)).alarm).toBe(armed);

      // Counters without an alarm (lost, or stored before alarms were kept): the next write
      // sets one, so they are cleaned up after all.
      await runInDurableObject(stub, (_i: RateLimiter, state) => state.storage.deleteAlarm());
      await evictDurableObject(stub);
      const healed = await watch(stub, (instance) => {
        expect(instance.check({ limits: [limit] }).limits[0]?.remaining).toBe(0);
      });
      expect(healed.alarms).toBe(1);
      const [counter] = (await stub.getState()).limits;
      expect((await stored(stub)).alarm).toBe((counter?.expiresAt ?? 0) + IDLE_GRACE_MS);
    });
  });
});
