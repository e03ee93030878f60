/**
 * The KV cache layer: typed kinds (a key builder and a zod schema each), an isolate tier in
 * front of KV, stale-while-revalidate, invalidation by generation, `Cache-Status` and counters.
 * What it may hold, and how stale a reader can be, is in the README ("Catalogue and cache").
 */
export {
  Cache,
  type CacheDeps,
  type CacheOutcome,
  type CacheRead,
  generationKey,
  IsolateCacheState,
  isolateCache,
  type ReadOptions,
} from "./cache";
export { GENERATION_MEMORY_MS, GenerationTier } from "./generations";
export { type CacheKind, cacheKind, KV_MIN_TTL_SECONDS } from "./kind";
export { MemoryTier } from "./memory";
export {
  CacheStats,
  type Counters,
  counterNames,
  type FleetStats,
  fleetStats,
  REPORT_INTERVAL_MS,
  STATS_PREFIX,
  type StatsSnapshot,
  sumKinds,
} from "./stats";
export { CACHE_NAME, cacheStatus } from "./status";
