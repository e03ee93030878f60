/**
 * The KV cache layer on its own, against the real KV binding (Miniflare), with a clock the test
 * moves: tiers, freshness, stale-while-revalidate, invalidation by generation, bad stored
 * values, KV failures, counters and their aggregate.
 */

import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  Cache,
  cacheKind,
  cacheStatus,
  fleetStats,
  GenerationTier,
  generationKey,
  IsolateCacheState,
  MemoryTier,
  STATS_PREFIX,
} from "../../src/lib/cache";
import { testEnv } from "../support/env";

const kv = testEnv.CACHE;
let kinds = 0;

/** A kind of its own per test (keys never collide), 60 s fresh then 300 s stale. */
function kindFor(opts: { scopes?: (p: { id: string }) => string[] } = {}) {
  return cacheKind<{ id: string }, { id: string; n: number }>({
    name: `test.thing${++kinds}`,
    version: 1,
    schema: z.object({ id: z.string(), n: z.number().int() }),
    key: (p) => p.id,
    scopes: opts.scopes ?? (() => [`test-scope-${kinds}`]),
    freshSeconds: 60,
    staleSeconds: 300,
  });
}

/** A cache with its own isolate state, a movable clock and visible background work. */
function setup(opts: { kv?: KVNamespace; state?: IsolateCacheState } = {}) {
  const clock = { now: Date.now() };
  const pending: Promise<unknown>[] = [];
  const warnings: string[] = [];
  const state = opts.state ?? new IsolateCacheState();
  const make = () =>
    new Cache({
      kv: opts.kv ?? kv,
      state,
      now: () => clock.now,
      waitUntil: (p) => pending.push(p),
      warn: (msg) => warnings.push(msg),
    });
  const settle = async () => {
    while (pending.length) await Promise.all(pending.splice(0));
  };
  return { cache: make(), make, clock, state, settle, warnings };
}

/** A loader that counts its calls and returns `{ id, n: calls }`. */
function loader(id: string) {
  const calls = { n: 0 };
  const load = async () => {
    calls.n++;
    return { id, n: calls.n };
  };
  return { load, calls };
}

const counters = (state: IsolateCacheState, kind: { name: string }) =>
  state.stats.snapshot().kinds[kind.name];

describe("cache reads", () => {
  it("a miss loads and stores; the next read is a hit from memory, then from KV", async () => {
    const kind = kindFor();
    const { cache, settle, state, clock } = setup();
    const { load, calls } = loader("a");
    expect(await cache.read(kind, { id: "a" }, load)).toEqual({
      value: { id: "a", n: 1 },
      outcome: "miss",
    });
    await settle();
    expect(await cache.read(kind, { id: "a" }, load)).toEqual({
      value: { id: "a", n: 1 },
      outcome: "hit",
    });
    // Another isolate (empty memory) finds it in KV.
    const other = setup({});
    other.clock.now = clock.now + 1_000;
    expect((await other.cache.read(kind, { id: "a" }, load)).outcome).toBe("hit");
    expect(calls.n).toBe(1);
    expect(counters(state, kind)).toMatchObject({ misses: 1, hits: 1, memoryHits: 1 });
    expect(counters(other.state, kind)).toMatchObject({ hits: 1, memoryHits: 0 });
  });

  it("a stored value that fails its schema, or is not JSON, is a miss and is replaced", async () => {
    const kind = kindFor();
    for (const corrupt of [
      "not json at all",
      JSON.stringify({ t: Date.now(), v: { id: "b", n: "one" } }),
      JSON.stringify({ v: { id: "b", n: 1 } }),
      JSON.stringify({ t: -5, v: { id: "b", n: 1 } }),
      "null",
    ]) {
      const { cache, settle, state } = setup();
      const key = await cache.storageKey(kind, { id: "b" });
      await kv.put(key, corrupt);
      const { load, calls } = loader("b");
      const read = await cache.read(kind, { id: "b" }, load);
      expect(read, corrupt).toEqual({ value: { id: "b", n: 1 }, outcome: "miss" });
      expect(calls.n).toBe(1);
      expect(counters(state, kind)).toMatchObject({ invalid: 1, misses: 1 });
      await settle();
      // Replaced: a fresh isolate reads the good value.
      const fresh = setup();
      expect((await fresh.cache.read(kind, { id: "b" }, load)).outcome).toBe("hit");
    }
  });

  it("past fresh: serves stale, refreshes once however many read, then hits", async () => {
    const kind = kindFor();
    const { cache, make, settle, state, clock } = setup();
    const { load: count, calls } = loader("c");
    await cache.read(kind, { id: "c" }, count);
    await settle();
    clock.now += 61_000;
    // The refresh cannot finish before every read has been answered.
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const load = async () => {
      await gate;
      return count();
    };
    const reads = await Promise.all(
      Array.from({ length: 5 }, () => make().read(kind, { id: "c" }, load)),
    );
    open();
    expect(reads.map((r) => r.outcome)).toEqual(Array(5).fill("stale"));
    expect(reads.every((r) => r.value.n === 1)).toBe(true);
    await settle();
    expect(calls.n).toBe(2);
    expect(counters(state, kind)).toMatchObject({ staleServes: 5, refreshes: 1 });
    const after = await cache.read(kind, { id: "c" }, load);
    expect(after).toEqual({ value: { id: "c", n: 2 }, outcome: "hit" });
    // KV got the refreshed value too.
    const elsewhere = setup();
    elsewhere.clock.now = clock.now;
    expect(await elsewhere.cache.read(kind, { id: "c" }, load)).toEqual({
      value: { id: "c", n: 2 },
      outcome: "hit",
    });
  });

  it("a stale entry found in KV (not in memory) is served stale and refreshed too", async () => {
    const kind = kindFor();
    const first = setup();
    const { load, calls } = loader("d");
    await first.cache.read(kind, { id: "d" }, load);
    await first.settle();
    const second = setup();
    second.clock.now = first.clock.now + 120_000;
    expect((await second.cache.read(kind, { id: "d" }, load)).outcome).toBe("stale");
    await second.settle();
    expect(calls.n).toBe(2);
  });

  it("a failed refresh keeps serving stale and is tried again by a later read", async () => {
    const kind = kindFor();
    const { cache, settle, state, clock, warnings } = setup();
    await cache.read(kind, { id: "e" }, async () => ({ id: "e", n: 1 }));
    await settle();
    clock.now += 61_000;
    const failing = async (): Promise<{ id: string; n: number }> => {
      throw new Error("database down");
    };
    expect((await cache.read(kind, { id: "e" }, failing)).outcome).toBe("stale");
    await settle();
    expect(counters(state, kind)).toMatchObject({ refreshFailures: 1 });
    expect(warnings).toContain("cache refresh failed");
    expect(state.refreshing.size).toBe(0);
    expect((await cache.read(kind, { id: "e" }, failing)).outcome).toBe("stale");
    await settle();
    expect(counters(state, kind)).toMatchObject({ refreshFailures: 2 });
  });

  it("a refresh that finds nothing removes the entry", async () => {
    const kind = kindFor();
    const { cache, settle, clock } = setup();
    const present = { yes: true };
    const load = async () => (present.yes ? { id: "f", n: 1 } : null);
    const nullable = cacheKind<{ id: string }, { id: string; n: number } | null>({
      ...kind,
      name: `${kind.name}.nullable`,
      schema: kind.schema.nullable(),
    });
    const store = (v: unknown) => v !== null;
    await cache.read(nullable, { id: "f" }, load, { store });
    await settle();
    present.yes = false;
    clock.now += 61_000;
    expect((await cache.read(nullable, { id: "f" }, load, { store })).outcome).toBe("stale");
    await settle();
    expect(await kv.get(await cache.storageKey(nullable, { id: "f" }))).toBeNull();
    expect(await cache.read(nullable, { id: "f" }, load, { store })).toEqual({
      value: null,
      outcome: "miss",
    });
  });

  it("past fresh + stale: a miss", async () => {
    const kind = kindFor();
    const { cache, settle, clock } = setup();
    const { load, calls } = loader("g");
    await cache.read(kind, { id: "g" }, load);
    await settle();
    clock.now += 361_000;
    expect(await cache.read(kind, { id: "g" }, load)).toEqual({
      value: { id: "g", n: 2 },
      outcome: "miss",
    });
    expect(calls.n).toBe(2);
  });

  it("what `store` refuses is returned but not stored", async () => {
    const kind = kindFor();
    const { cache, settle, state } = setup();
    const { load, calls } = loader("h");
    for (let i = 0; i < 2; i++) {
      const read = await cache.read(kind, { id: "h" }, load, { store: () => false });
      expect(read.outcome).toBe("miss");
      await settle();
    }
    expect(calls.n).toBe(2);
    expect(state.memory.size).toBe(0);
    expect(await kv.get(await cache.storageKey(kind, { id: "h" }))).toBeNull();
  });

  it("a value that does not match its own schema is returned, never stored", async () => {
    const kind = kindFor();
    const { cache, settle, state, warnings } = setup();
    const bad = async () => ({ id: "i", n: 1.5 });
    expect((await cache.read(kind, { id: "i" }, bad)).outcome).toBe("miss");
    await settle();
    expect((await cache.read(kind, { id: "i" }, bad)).outcome).toBe("miss");
    expect(counters(state, kind)).toMatchObject({ invalid: 2, misses: 2 });
    expect(warnings).toContain("cache value does not match its schema; not stored");
  });

  it("unsafe or long keys are hashed into the storage key; short plain ones stay readable", async () => {
    const kind = kindFor();
    const { cache } = setup();
    const readable = await cache.storageKey(kind, { id: "jee-physics" });
    expect(readable).toMatch(/^cache:v1:test\.thing\d+@1:0:jee-physics$/);
    const hashed = await cache.storageKey(kind, { id: `a/b?c ${"x".repeat(600)}` });
    expect(hashed).toMatch(/^cache:v1:test\.thing\d+@1:0:h-[0-9a-f]{32}$/);
  });

  it("a key's hash is computed once per isolate (at most 1,000 kept), and is the same everywhere", async () => {
    const kind = kindFor();
    const { cache, state } = setup();
    const id = `list?[["limit",20]]`;
    const first = await cache.storageKey(kind, { id });
    expect(state.hashedKeys.size).toBe(1);
    expect(await cache.storageKey(kind, { id })).toBe(first);
    expect(await setup().cache.storageKey(kind, { id })).toBe(first);
    for (let i = 0; i < 1_000; i++) await cache.storageKey(kind, { id: `${id}&${i}` });
    expect(state.hashedKeys.size).toBeLessThanOrEqual(1_000);
    expect(await cache.storageKey(kind, { id })).toBe(first);
  });
});

describe("invalidation by generation", () => {
  it("a bump makes every later read of that scope miss, and no other", async () => {
    const shared = kindFor({ scopes: (p) => ["test-catalogue", `test-item:${p.id}`] });
    const { cache, settle } = setup();
    const a = loader("a");
    const b = loader("b");
    await cache.read(shared, { id: "a" }, a.load);
    await cache.read(shared, { id: "b" }, b.load);
    await settle();

    await cache.invalidate(["test-item:a"]);
    expect((await cache.read(shared, { id: "a" }, a.load)).outcome).toBe("miss");
    expect((await cache.read(shared, { id: "b" }, b.load)).outcome).toBe("hit");
    await settle();

    await cache.invalidate(["test-catalogue"]);
    expect((await cache.read(shared, { id: "a" }, a.load)).outcome).toBe("miss");
    expect((await cache.read(shared, { id: "b" }, b.load)).outcome).toBe("miss");
    expect([a.calls.n, b.calls.n]).toEqual([3, 2]);
    // Other isolates see the same: the generation lives in KV, not in memory.
    await settle();
    expect((await setup().cache.read(shared, { id: "a" }, a.load)).outcome).toBe("hit");
  });

  it("a generation value the cache did not write bypasses the cache (a miss, nothing stored)", async () => {
    const kind = kindFor({ scopes: () => ["test-odd-scope"] });
    await kv.put(generationKey("test-odd-scope"), "../../not a token");
    const { cache, settle, state } = setup();
    const { load, calls } = loader("k");
    for (let i = 0; i < 2; i++) {
      expect((await cache.read(kind, { id: "k" }, load)).outcome).toBe("miss");
      await settle();
    }
    expect(calls.n).toBe(2);
    expect(state.memory.size).toBe(0);
    expect(counters(state, kind)).toMatchObject({ invalid: 2, misses: 2 });
  });
});

describe("generation tokens in isolate memory", () => {
  /** KV that counts generation reads and can hold them or fail them and puts. */
  function watched() {
    const calls = { genGets: 0, puts: 0 };
    const control = {
      hold: undefined as Promise<void> | undefined,
      answered: () => {},
      failGenGets: false,
      failPuts: 0,
    };
    const watchedKv = new Proxy(kv, {
      get: (target, prop) => {
        if (prop === "get") {
          return async (key: string, type: "text") => {
            if (key.startsWith("cache:gen:")) {
              calls.genGets++;
              const answer = await target.get(key, type);
              if (control.hold) {
                control.answered();
                await control.hold;
              }
              if (control.failGenGets) throw new Error("KV unavailable");
              return answer;
            }
            return target.get(key, type);
          };
        }
        if (prop === "put") {
          return async (...args: Parameters<KVNamespace["put"]>) => {
            calls.puts++;
            if (control.failPuts > 0) {
              control.failPuts--;
              throw new Error("KV refused the write");
            }
            return target.put(...args);
          };
        }
        return Reflect.get(target, prop).bind(target);
      },
    });
    return { kv: watchedKv, calls, control };
  }

  it("a token is read once per scope for 5 s, concurrent readers sharing the read", async () => {
    const kind = kindFor();
    const { kv: counted, calls } = watched();
    const { cache, make, settle, clock } = setup({ kv: counted });
    const { load } = loader("q");
    await cache.read(kind, { id: "q" }, load);
    await settle();
    expect(calls.genGets).toBe(1);
    clock.now += 4_999;
    const reads = await Promise.all(
      Array.from({ length: 5 }, () => make().read(kind, { id: "q" }, load)),
    );
    expect(reads.map((r) => r.outcome)).toEqual(Array(5).fill("hit"));
    expect(calls.genGets).toBe(1);
    clock.now += 1;
    await Promise.all(Array.from({ length: 5 }, () => make().read(kind, { id: "q" }, load)));
    expect(calls.genGets).toBe(2);
  });

  it("another isolate's bump is seen here within 5 s; this isolate's own at once", async () => {
    const kind = kindFor();
    const here = setup();
    const there = setup();
    there.clock.now = here.clock.now;
    const { load, calls } = loader("r");
    await here.cache.read(kind, { id: "r" }, load);
    await here.settle();

    await there.cache.invalidate(kind.scopes({ id: "r" }));
    expect((await there.cache.read(kind, { id: "r" }, load)).outcome).toBe("miss");
    await there.settle();
    // Here the old token is still trusted: the entry filled under it is served…
    here.clock.now += 4_000;
    expect(await here.cache.read(kind, { id: "r" }, load)).toEqual({
      value: { id: "r", n: 1 },
      outcome: "hit",
    });
    // …until it has been known for 5 s: then the new token, and what was stored under it.
    here.clock.now += 1_000;
    expect(await here.cache.read(kind, { id: "r" }, load)).toEqual({
      value: { id: "r", n: 2 },
      outcome: "hit",
    });
    // A write here is seen by the next read here, however recently the token was read.
    await here.cache.invalidate(kind.scopes({ id: "r" }));
    expect(await here.cache.read(kind, { id: "r" }, load)).toEqual({
      value: { id: "r", n: 3 },
      outcome: "miss",
    });
    expect(calls.n).toBe(3);
  });

  it("a read in flight when this isolate writes cannot bring the old token back", async () => {
    const kind = kindFor();
    const { kv: slow, control } = watched();
    const { cache, settle, clock } = setup({ kv: slow });
    const { load, calls } = loader("s");
    await cache.read(kind, { id: "s" }, load);
    await settle();
    // The token is due for a re-read; that read answers (the old token) but is held…
    clock.now += 5_000;
    let release = () => {};
    control.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answered = new Promise<void>((resolve) => {
      control.answered = resolve;
    });
    const late = cache.read(kind, { id: "s" }, load);
    await answered;
    // …while this isolate writes a new one.
    await cache.invalidate(kind.scopes({ id: "s" }));
    control.hold = undefined;
    release();
    // The held read began before the write: it may serve the entry from before it.
    expect((await late).outcome).toBe("hit");
    // But it did not put the old token back: the next read uses the new one.
    expect(await cache.read(kind, { id: "s" }, load)).toEqual({
      value: { id: "s", n: 2 },
      outcome: "miss",
    });
    expect(calls.n).toBe(2);
  });

  it("a failed or invalid generation read is not remembered: the next read asks KV again", async () => {
    const kind = kindFor();
    const { kv: flaky, calls, control } = watched();
    const { cache, settle, state, warnings } = setup({ kv: flaky });
    const { load } = loader("t");
    control.failGenGets = true;
    for (let i = 0; i < 2; i++) {
      expect((await cache.read(kind, { id: "t" }, load)).outcome).toBe("miss");
    }
    expect(calls.genGets).toBe(2);
    expect(counters(state, kind)).toMatchObject({ kvErrors: 2, misses: 2 });
    expect(warnings).toContain("cache generation read failed");
    expect(state.generations.size).toBe(0);
    // KV is back: the token is read, kept, and entries are stored and hit again.
    control.failGenGets = false;
    expect((await cache.read(kind, { id: "t" }, load)).outcome).toBe("miss");
    await settle();
    expect((await cache.read(kind, { id: "t" }, load)).outcome).toBe("hit");
    expect(calls.genGets).toBe(3);

    const odd = kindFor({ scopes: () => ["test-odd-scope-2"] });
    await kv.put(generationKey("test-odd-scope-2"), "Not A Token!");
    for (let i = 0; i < 2; i++) await cache.read(odd, { id: "t" }, load);
    expect(calls.genGets).toBe(5);
    expect(counters(state, odd)).toMatchObject({ invalid: 2, misses: 2 });
  });

  it("a failed bump forgets the token here; the retry that lands is used here at once", async () => {
    const kind = kindFor();
    const { kv: refusing, calls, control } = watched();
    const { cache, settle, warnings } = setup({ kv: refusing });
    const { load } = loader("u");
    await cache.read(kind, { id: "u" }, load);
    await settle();
    const readsBefore = calls.genGets;
    control.failPuts = 1; // the bump fails, its first retry lands
    const bump = cache.invalidate(kind.scopes({ id: "u" }));
    await bump;
    expect(warnings).toContain("cache invalidation failed; retrying");
    // Not trusted any more: the next read asks KV (which still has the old token: a hit).
    expect((await cache.read(kind, { id: "u" }, load)).outcome).toBe("hit");
    expect(calls.genGets).toBe(readsBefore + 1);
    await settle(); // the retry lands (1.5 s later)
    expect(warnings).not.toContain("cache invalidation failed for good");
    expect((await cache.read(kind, { id: "u" }, load)).outcome).toBe("miss");
    expect(calls.genGets).toBe(readsBefore + 1);
  }, 10_000);

  it("keeps at most 1,000 scopes, oldest first out", async () => {
    const tier = new GenerationTier(5_000, 3);
    for (const scope of ["a", "b", "c", "d"]) tier.wrote(scope, "t1", 0);
    expect(tier.size).toBe(3);
    let reads = 0;
    const read = async () => {
      reads++;
      return "t2";
    };
    expect(await tier.token("a", 1, read)).toBe("t2");
    expect(await tier.token("d", 1, read)).toBe("t1");
    expect(reads).toBe(1);
    expect(new GenerationTier().maxScopes).toBe(1_000);
  });
});

describe("KV failing", () => {
  /** KV whose every call throws, as during an outage. */
  const broken = new Proxy(kv, {
    get: (target, prop) =>
      ["get", "put", "delete", "list"].includes(String(prop))
        ? async () => {
            throw new Error("KV unavailable");
          }
        : Reflect.get(target, prop),
  });

  it("reads fall through to the source, never an error; invalidation retries then gives up quietly", async () => {
    const kind = kindFor();
    const { cache, settle, state, warnings } = setup({ kv: broken });
    const { load, calls } = loader("m");
    for (let i = 0; i < 2; i++) {
      expect(await cache.read(kind, { id: "m" }, load)).toMatchObject({ outcome: "miss" });
    }
    expect(calls.n).toBe(2);
    expect(counters(state, kind)).toMatchObject({ kvErrors: 2, misses: 2 });
    await cache.invalidate(["test-anything"]);
    await settle();
    expect(warnings).toContain("cache invalidation failed; retrying");
    expect(warnings).toContain("cache invalidation failed for good");
  }, 15_000);

  it("a KV read failure after a good generation read still loads, and the memory tier helps", async () => {
    const kind = kindFor();
    let failGets = false;
    const flaky = new Proxy(kv, {
      get: (target, prop) =>
        prop === "get"
          ? async (key: string, type: "text") => {
              if (failGets && key.startsWith("cache:v1:")) throw new Error("KV unavailable");
              return target.get(key, type);
            }
          : Reflect.get(target, prop).bind(target),
    });
    const { cache, settle, state } = setup({ kv: flaky });
    const { load } = loader("n");
    failGets = true;
    expect((await cache.read(kind, { id: "n" }, load)).outcome).toBe("miss");
    await settle();
    expect((await cache.read(kind, { id: "n" }, load)).outcome).toBe("hit");
    expect(counters(state, kind)).toMatchObject({ kvErrors: 1, memoryHits: 1 });
  });
});

describe("the isolate tier", () => {
  const entry = (bytes: number) => ({
    value: 1,
    filledAt: 0,
    freshUntil: 1_000,
    staleUntil: 2_000,
    bytes,
  });

  it("is bounded in entries and in bytes, least recently used out first", () => {
    const tier = new MemoryTier(3, 1_000);
    for (const k of ["a", "b", "c"]) tier.set(k, entry(100));
    expect(tier.get("a", 0)).toBeDefined(); // a is now the most recent
    tier.set("d", entry(100));
    expect([tier.size, tier.get("b", 0)]).toEqual([3, undefined]);
    tier.set("e", entry(240));
    tier.set("f", entry(240));
    tier.set("g", entry(240));
    expect(tier.bytes).toBeLessThanOrEqual(1_000);
    expect(tier.size).toBeLessThanOrEqual(3);
    // One value larger than a quarter of the tier is not kept at all.
    tier.set("huge", entry(300));
    expect(tier.get("huge", 0)).toBeUndefined();
  });

  it("drops entries past their stale time", () => {
    const tier = new MemoryTier();
    tier.set("a", entry(10));
    expect(tier.get("a", 1_999)).toBeDefined();
    expect(tier.get("a", 2_000)).toBeUndefined();
    expect([tier.size, tier.bytes]).toEqual([0, 0]);
  });
});

describe("counters", () => {
  it("an isolate reports at most once a minute; the aggregate sums every isolate's report", async () => {
    const kind = kindFor();
    const mine = setup();
    await mine.cache.read(kind, { id: "p" }, loader("p").load);
    await mine.cache.read(kind, { id: "p" }, loader("p").load);
    await mine.settle();
    const snapshot = mine.state.stats.snapshot();

    // Another isolate reports (forced: its minute has not passed).
    const other = new IsolateCacheState();
    other.stats.count(kind.name, "hits", 7);
    other.stats.count(kind.name, "staleServes", 2);
    await other.stats.report(kv, { force: true });
    expect(other.stats.report(kv)).toBeUndefined(); // nothing new, and too soon
    // And one report nobody can read.
    await kv.put(`${STATS_PREFIX}garbage`, "", { metadata: { v: 9 } });

    const fleet = await fleetStats(kv, snapshot);
    expect(fleet.isolates).toBeGreaterThanOrEqual(2);
    expect(fleet.unreadable).toBeGreaterThanOrEqual(1);
    expect(fleet.kinds[kind.name]).toMatchObject({
      misses: 1,
      hits: 8,
      memoryHits: 1,
      staleServes: 2,
    });
    expect(fleet.complete).toBe(true);
  });
});

describe("kinds and headers", () => {
  it("refuses kinds KV cannot hold or that are badly named", () => {
    const base = kindFor();
    expect(() => cacheKind({ ...base, freshSeconds: 10, staleSeconds: 20 })).toThrow(/60/);
    expect(() => cacheKind({ ...base, freshSeconds: 0, staleSeconds: 120 })).toThrow();
    expect(() => cacheKind({ ...base, name: "Courses List" })).toThrow(/dotted/);
    expect(() => cacheKind({ ...base, version: 0 })).toThrow(/version/);
    expect(() => cacheKind({ ...base, freshSeconds: 86_400, staleSeconds: 1 })).toThrow(/day/);
  });

  it("Cache-Status (RFC 9211) names the outcome", () => {
    expect(cacheStatus("hit")).toBe("coaching-api; hit");
    expect(cacheStatus("miss")).toBe("coaching-api; fwd=miss");
    expect(cacheStatus("stale")).toBe("coaching-api; fwd=stale");
  });
});
