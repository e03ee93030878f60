/**
 * Shared shapes of the rate limiter: what a caller asks for (`Limit`) and what it gets back
 * (`Decision`). Plain data, so they cross the Durable Object RPC boundary unchanged.
 */

/**
 * `sliding-window`: Cloudflare/Upstash weighted two-window counter (fixed windows aligned to the
 * epoch; the previous window counts in proportion to its overlap). Smooth, no burst at window
 * edges. `gcra`: token bucket as the Generic Cell Rate Algorithm; `limit` tokens refill evenly
 * over `windowMs`, so a full bucket allows a burst of `limit`.
 */
export type Algorithm = "sliding-window" | "gcra";

export interface Limit {
  /** Names the counter inside its identity, and the policy in headers and 429 bodies. */
  name: string;
  algorithm: Algorithm;
  /** Units allowed per window (also the burst size for `gcra`). */
  limit: number;
  windowMs: number;
  /** Units this request consumes. Default 1; 0 only looks. */
  cost?: number;
  /** Identity key of this counter; it also picks the Durable Object. Default: the check's key. */
  key?: string;
}

/** A limit as the Durable Object receives it: everything resolved. */
export interface LimitSpec extends Required<Limit> {}

export interface LimitResult {
  name: string;
  /** The effective limit (after any override). */
  limit: number;
  windowMs: number;
  /** Units left after this request (0 when denied). */
  remaining: number;
  /** Milliseconds until the counter is fully restored. */
  resetMs: number;
  /** Milliseconds until this request would be admitted; 0 when allowed. */
  retryAfterMs: number;
  allowed: boolean;
}

export interface Decision {
  allowed: boolean;
  limits: LimitResult[];
  /**
   * `origin`: the Durable Object decided. `cache`: denied in this isolate by the short-circuit.
   * `local`: fast mode decided in this isolate from its model of the object's state.
   * `fail-open`: the limiter failed and the policy lets traffic through. `noop`: no limiter.
   */
  source: "origin" | "cache" | "local" | "fail-open" | "noop";
}

export type FailureMode = "open" | "closed";

/**
 * `exact`: the Durable Object decides every admission (only denials are short-circuited).
 * `fast`: the isolate decides from a local model and syncs with the object in batches off the
 * request path; over-admission is bounded by the sync batch per isolate (see fast.ts).
 */
export type Mode = "exact" | "fast";

/** An operator's override for one identity, stored in its Durable Object. */
export interface Override {
  /** Replaces every limit of the identity. */
  limit?: number;
  /** Scales every limit (floored); ignored when `limit` is set. */
  multiplier?: number;
  /** Deny everything until this time (ms since epoch). */
  blockedUntil?: number;
  /** The override is ignored from this time on (ms since epoch). */
  expiresAt: number;
}

export interface LimitState {
  key: string;
  name: string;
  algorithm: Algorithm;
  windowMs: number;
  /** Units in use now (sliding window: weighted estimate; gcra: bucket fill). */
  used: number;
  /** When the stored state becomes meaningless and may be deleted (ms since epoch). */
  expiresAt: number;
}

export interface ObjectState {
  limits: LimitState[];
  override: Override | null;
}
