import type { CheckResult, RateLimiter } from "../../durable-objects/rate-limiter";
import { dependencyUnavailable } from "../errors";
import type { Decision, FailureMode, Limit, LimitResult, LimitSpec } from "./types";

export interface CheckOptions {
  /** When the limiter fails: `open` admits (no headers), `closed` throws DEPENDENCY_UNAVAILABLE. */
  failureMode?: FailureMode;
  /** Injected clock for tests (ms since epoch), passed to the Durable Object. */
  now?: number;
  /** Keeps off-request-path work (fast mode's syncs) alive after the response. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface RateLimitClient {
  check(key: string, limits: Limit[], opts?: CheckOptions): Promise<Decision>;
}

/** The no-op twin: admits everything (local tools, or environments without the binding). */
export class NoopRateLimitClient implements RateLimitClient {
  async check(_key: string, limits: Limit[]): Promise<Decision> {
    return {
      allowed: true,
      source: "noop",
      limits: limits.map((l) => ({
        name: l.name,
        limit: l.limit,
        windowMs: l.windowMs,
        remaining: l.limit,
        resetMs: 0,
        retryAfterMs: 0,
        allowed: true,
      })),
    };
  }
}

interface CachedDenial {
  until: number;
  cost: number;
  decidedAt: number;
  limits: LimitResult[];
}

/**
 * Isolate-level short-circuit: remembers denials until the time the object said the request
 * could next be admitted, and denies locally before then.
 *
 * It cannot over-admit because it only ever denies: a miss always asks the object, which stays
 * the one place that admits. Its denials are also what the object would answer: a counter only
 * decays with time, so without a reset or override nothing can become admissible before the
 * retry time the object computed; other requests only push that time later. Entries are per
 * key + limits + cost (a cheaper request might fit) and bounded in number; losing one only costs
 * an object call. After an admin reset or a raised override, isolates may keep denying until
 * the cached time: the safe direction.
 */
export class DenialCache {
  private readonly entries = new Map<string, CachedDenial>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(cacheKey: string, cost: number, now: number): Decision | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    if (now >= entry.until) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    if (cost < entry.cost) return undefined;
    const elapsed = Math.max(0, now - entry.decidedAt);
    return {
      allowed: false,
      source: "cache",
      limits: entry.limits.map((l) => ({
        ...l,
        remaining: l.allowed ? l.remaining : 0,
        resetMs: Math.max(0, l.resetMs - elapsed),
        retryAfterMs: l.allowed ? 0 : Math.max(1, l.retryAfterMs - elapsed),
      })),
    };
  }

  remember(cacheKey: string, cost: number, decidedAt: number, limits: LimitResult[]) {
    const wait = Math.max(0, ...limits.filter((l) => !l.allowed).map((l) => l.retryAfterMs));
    if (wait <= 0) return;
    if (this.entries.size >= this.maxEntries) this.evict(decidedAt);
    this.entries.set(cacheKey, { until: decidedAt + wait, cost, decidedAt, limits });
  }

  forget(cacheKey: string) {
    this.entries.delete(cacheKey);
  }

  /** Forgets every denial checked under `key` (after an operator's reset or override). */
  forgetObject(key: string) {
    const prefix = `${JSON.stringify([key]).slice(0, -1)},`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  clear() {
    this.entries.clear();
  }

  private evict(now: number) {
    for (const [k, e] of this.entries) if (now >= e.until) this.entries.delete(k);
    dropOldestQuarter(this.entries, this.maxEntries);
  }
}

/** Still full after expiry: drop the oldest quarter (a Map iterates in insertion order). */
export function dropOldestQuarter(entries: Map<string, unknown>, maxEntries: number) {
  let drop = entries.size >= maxEntries ? Math.ceil(maxEntries / 4) : 0;
  for (const k of entries.keys()) {
    if (drop-- <= 0) break;
    entries.delete(k);
  }
}

/** One per isolate: shared by every request this isolate serves. */
export const isolateDenials = new DenialCache();

export interface DurableObjectClientOptions {
  /** The short-circuit; pass `null` to always ask the object (exactness tests, benchmarks). */
  cache?: DenialCache | null;
  /** Give up on the object after this long and apply the failure mode. */
  timeoutMs?: number;
}

/**
 * Checks limits in the identity's Durable Object (`idFromName(key)`). Limits with their own
 * `key` live in that key's object: they are checked in parallel and, if any object denies, the
 * objects that admitted are refunded, so a denied request consumes nothing anywhere.
 */
export class DurableObjectRateLimitClient implements RateLimitClient {
  private readonly cache: DenialCache | null;
  private readonly timeoutMs: number;

  constructor(
    private readonly namespace: DurableObjectNamespace<RateLimiter>,
    opts: DurableObjectClientOptions = {},
  ) {
    this.cache = opts.cache === undefined ? isolateDenials : opts.cache;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  async check(key: string, limits: Limit[], opts: CheckOptions = {}): Promise<Decision> {
    const specs: LimitSpec[] = limits.map((l) => ({
      name: l.name,
      algorithm: l.algorithm,
      limit: l.limit,
      windowMs: l.windowMs,
      cost: l.cost ?? 1,
      key: l.key ?? key,
    }));
    const cost = specs.reduce((sum, s) => sum + s.cost, 0);
    const started = opts.now ?? Date.now();
    // The key is only built when there is something to look up, or a denial to remember.
    const cached =
      this.cache && this.cache.size > 0
        ? this.cache.lookup(denialCacheKey(key, specs), cost, started)
        : undefined;
    if (cached) return cached;

    let results: LimitResult[];
    try {
      results = await this.withTimeout(this.checkObjects(specs, opts.now));
    } catch (err) {
      if (opts.failureMode === "closed") throw dependencyUnavailable("rate-limiter", err);
      return { allowed: true, source: "fail-open", limits: [] };
    }
    const allowed = results.every((r) => r.allowed);
    // The object decided after `started`, so `started + retryAfter` never outlasts its answer.
    if (!allowed) this.cache?.remember(denialCacheKey(key, specs), cost, started, results);
    return { allowed, source: "origin", limits: results };
  }

  private async checkObjects(specs: LimitSpec[], now: number | undefined) {
    const request = (limits: LimitSpec[]) => (now === undefined ? { limits } : { limits, now });
    // The common case, one object: nothing to group, refund or reorder (it answers in order).
    const objectKey = specs[0]?.key;
    if (objectKey !== undefined && specs.every((s) => s.key === objectKey)) {
      const result: CheckResult = await this.stub(objectKey).check(request(specs));
      return specs.map((s, i) => {
        const answer = result.limits[i];
        return answer?.name === s.name ? answer : missing(s.name);
      });
    }
    const groups = new Map<string, LimitSpec[]>();
    for (const spec of specs) {
      const group = groups.get(spec.key);
      if (group) group.push(spec);
      else groups.set(spec.key, [spec]);
    }
    const calls = [...groups].map(async ([key, group]) => {
      const stub = this.stub(key);
      const result: CheckResult = await stub.check(request(group));
      return { stub, group, result };
    });
    const answers = await Promise.all(calls);
    if (answers.length > 1 && answers.some((a) => !a.result.allowed)) {
      await Promise.all(
        answers
          .filter((a) => a.result.allowed)
          .map((a) => a.stub.refund({ limits: a.group, at: a.result.at })),
      );
    }
    // Report in the caller's order.
    const byName = new Map(answers.flatMap((a) => a.result.limits.map((l) => [l.name, l])));
    return specs.map((s) => byName.get(s.name) ?? missing(s.name));
  }

  private stub(objectKey: string) {
    return this.namespace.get(this.namespace.idFromName(objectKey));
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.timeoutMs);
  }
}

function missing(name: string): never {
  throw new Error(`rate limiter returned no result for limit "${name}"`);
}

export function denialCacheKey(key: string, specs: LimitSpec[]): string {
  return JSON.stringify([
    key,
    specs.map((s) => [s.key, s.name, s.algorithm, s.limit, s.windowMs, s.cost]),
  ]);
}

/** Rejects after `ms` if `promise` has not settled (the caller applies its failure mode). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer, no race: this runs on every exact-mode request.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`rate limiter gave no answer within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
