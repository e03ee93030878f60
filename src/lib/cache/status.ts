import type { CacheOutcome } from "./cache";

/** This API's name in `Cache-Status` (RFC 9211). */
export const CACHE_NAME = "coaching-api";

/**
 * The `Cache-Status` member for a read: `coaching-api; hit`, `coaching-api; fwd=miss`, or
 * `coaching-api; fwd=stale` (served stale; the forward, a refresh, runs after the response).
 */
export function cacheStatus(outcome: CacheOutcome): string {
  return outcome === "hit" ? `${CACHE_NAME}; hit` : `${CACHE_NAME}; fwd=${outcome}`;
}
