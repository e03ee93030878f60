import type * as z from "zod";

/** KV refuses an `expirationTtl` under 60 s; an entry lives `freshSeconds + staleSeconds`. */
export const KV_MIN_TTL_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 24 * 3600;
const NAME = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/;

/**
 * One kind of cached value: how its entries are named, what they must look like, what
 * invalidates them and how long they stay fresh. Defined once, next to the service that fills it.
 */
export interface CacheKind<P, V> {
  /** Names the kind in keys and counters: lower-case words and dots, e.g. `courses.list`. */
  readonly name: string;
  /** Bump when the value's shape changes: entries written by other versions are never read. */
  readonly version: number;
  /** What a stored value must be. One that fails it is a miss (and is replaced), never a crash. */
  readonly schema: z.ZodType<V>;
  /** The entry's identity within the kind, as canonical text, from already-validated params. */
  readonly key: (params: P) => string;
  /**
   * The generation scopes the entry depends on (e.g. `catalogue`, `course:<slug>`): bumping any
   * of them (`Cache.invalidate`) makes every later read of the entry miss.
   */
  readonly scopes: (params: P) => string[];
  /** Served as a hit for this long after it was filled… */
  readonly freshSeconds: number;
  /** …then served stale for this long while one refresh per key and isolate runs. */
  readonly staleSeconds: number;
}

export function cacheKind<P, V>(kind: CacheKind<P, V>): CacheKind<P, V> {
  if (!NAME.test(kind.name)) throw new Error(`cache kind name "${kind.name}" is not dotted words`);
  if (!Number.isInteger(kind.version) || kind.version < 1) {
    throw new Error(`cache kind ${kind.name}: version must be a positive integer`);
  }
  const lifetime = kind.freshSeconds + kind.staleSeconds;
  if (kind.freshSeconds <= 0 || kind.staleSeconds < 0 || lifetime < KV_MIN_TTL_SECONDS) {
    throw new Error(
      `cache kind ${kind.name}: fresh > 0, stale ≥ 0 and fresh + stale ≥ ${KV_MIN_TTL_SECONDS} s (KV's minimum TTL)`,
    );
  }
  if (lifetime > MAX_LIFETIME_SECONDS) {
    throw new Error(`cache kind ${kind.name}: entries may live a day at most`);
  }
  return Object.freeze({ ...kind });
}
