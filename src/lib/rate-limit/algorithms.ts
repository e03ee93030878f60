import type { LimitResult } from "./types";

/**
 * The two limiting algorithms as pure functions of (stored state, limit, now). No I/O and no
 * clock of their own, so the Durable Object can run them synchronously between its read and its
 * write, and tests can drive them with any clock.
 */

export interface SlidingWindowState {
  /** Start of the window `curr` counts in (ms since epoch, aligned to a multiple of the window). */
  windowStart: number;
  prev: number;
  curr: number;
}

export interface GcraState {
  /** Theoretical arrival time: when the bucket is full again (ms since epoch). */
  tat: number;
}

export interface Evaluation<S> {
  allowed: boolean;
  /** Units in use after this request (before it, when denied). */
  used: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** The state to store if the whole check is admitted. */
  next: S;
  /** From this time on the stored state equals no state at all. */
  expiresAt: number;
}

/**
 * Weighted two-window counter. All comparisons are done multiplied by the window length, so with
 * integer counts and integer milliseconds they are exact (no float rounding at the boundary).
 */
export function slidingWindow(
  state: SlidingWindowState | undefined,
  limit: number,
  windowMs: number,
  cost: number,
  now: number,
): Evaluation<SlidingWindowState> {
  const w = windowMs;
  const start = now - (now % w);
  let prev = 0;
  let curr = 0;
  if (state) {
    // A stored window from the future (clock moved back) is kept as current: conservative.
    if (state.windowStart >= start) {
      prev = state.prev;
      curr = state.curr;
    } else if (state.windowStart === start - w) {
      prev = state.curr;
    }
  }
  const elapsed = now - start;
  const usedScaled = (c: number) => prev * (w - elapsed) + c * w;
  const allowed = usedScaled(curr + cost) <= limit * w;
  const after = allowed ? curr + cost : curr;
  const remaining = Math.max(0, Math.floor((limit * w - usedScaled(after)) / w));
  const resetMs = after > 0 ? start + 2 * w - now : prev > 0 ? start + w - now : 0;

  let retryAfterMs = 0;
  if (!allowed) {
    if (cost > limit) {
      retryAfterMs = start + 2 * w - now; // never admissible; report when the state clears
    } else if (curr + cost <= limit && prev > 0) {
      // Still in this window: wait until the previous window's weight has decayed enough.
      const t = Math.ceil((prev * (w - elapsed) - (limit - curr - cost) * w) / prev);
      retryAfterMs = elapsed + t < w ? t : w - elapsed;
    } else {
      // Next window: `curr` becomes the decaying previous window.
      const x = curr > 0 ? Math.max(0, Math.ceil((w * (curr - limit + cost)) / curr)) : 0;
      retryAfterMs = w - elapsed + x;
    }
  }
  return {
    allowed,
    used: usedScaled(after) / w,
    remaining,
    resetMs,
    retryAfterMs,
    next: { windowStart: start, prev, curr: after },
    expiresAt: start + 2 * w,
  };
}

// Float slack for GCRA: the emission interval (window / limit) is rarely an integer.
const EPSILON = 1e-6;

/** GCRA token bucket: `limit` tokens, refilled one per `windowMs / limit`. */
export function gcra(
  state: GcraState | undefined,
  limit: number,
  windowMs: number,
  cost: number,
  now: number,
): Evaluation<GcraState> {
  if (limit <= 0) {
    return {
      allowed: cost === 0,
      used: 0,
      remaining: 0,
      resetMs: 0,
      retryAfterMs: cost === 0 ? 0 : windowMs,
      next: { tat: state?.tat ?? now },
      expiresAt: state?.tat ?? now,
    };
  }
  const interval = windowMs / limit;
  const tat = Math.max(state?.tat ?? now, now);
  const candidate = tat + cost * interval;
  const allowed = candidate - now <= windowMs + EPSILON;
  const after = allowed ? candidate : tat;
  const used = (after - now) / interval;
  return {
    allowed,
    used,
    remaining: Math.max(0, Math.floor(limit - used + EPSILON)),
    resetMs: Math.ceil(after - now - EPSILON),
    retryAfterMs: allowed ? 0 : Math.ceil(candidate - now - windowMs - EPSILON),
    next: { tat: after },
    expiresAt: Math.ceil(after),
  };
}

export type AlgorithmState = SlidingWindowState | GcraState;

/** `slidingWindow` or `gcra` by name, for callers that hold either state (fast mode). */
export function evaluateAlgorithm(
  algorithm: "sliding-window" | "gcra",
  state: AlgorithmState | undefined,
  limit: number,
  windowMs: number,
  cost: number,
  now: number,
): Evaluation<AlgorithmState> {
  if (algorithm === "gcra") {
    return gcra(state && "tat" in state ? state : undefined, limit, windowMs, cost, now);
  }
  const sliding = state && "windowStart" in state ? state : undefined;
  return slidingWindow(sliding, limit, windowMs, cost, now);
}

/**
 * Records `cost` units that were already admitted elsewhere (fast mode's isolates), even past
 * the limit: the object must count what was let through, or the next window would forget it.
 */
export function consume(
  algorithm: "sliding-window" | "gcra",
  state: AlgorithmState | undefined,
  limit: number,
  windowMs: number,
  cost: number,
  now: number,
): { next: AlgorithmState; expiresAt: number } {
  if (algorithm === "gcra") {
    const tat = state && "tat" in state ? state.tat : now;
    if (limit <= 0) return { next: { tat }, expiresAt: Math.ceil(tat) };
    const next = Math.max(tat, now) + cost * (windowMs / limit);
    return { next: { tat: next }, expiresAt: Math.ceil(next) };
  }
  const w = windowMs;
  const start = now - (now % w);
  let prev = 0;
  let curr = 0;
  if (state && "windowStart" in state) {
    if (state.windowStart >= start) {
      prev = state.prev;
      curr = state.curr;
    } else if (state.windowStart === start - w) {
      prev = state.curr;
    }
  }
  return { next: { windowStart: start, prev, curr: curr + cost }, expiresAt: start + 2 * w };
}

/** A decision on one limit as callers see it (`check`, `reconcile` and fast mode alike). */
export function limitResult(
  spec: { name: string; windowMs: number },
  limit: number,
  evaluation: Evaluation<AlgorithmState>,
  blockedMs: number,
): LimitResult {
  const allowed = evaluation.allowed && blockedMs === 0;
  return {
    name: spec.name,
    limit,
    windowMs: spec.windowMs,
    remaining: blockedMs > 0 ? 0 : evaluation.remaining,
    resetMs: Math.max(evaluation.resetMs, blockedMs),
    retryAfterMs: allowed ? 0 : Math.max(evaluation.retryAfterMs, blockedMs),
    allowed,
  };
}
