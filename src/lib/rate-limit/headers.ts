import type { Decision, LimitResult } from "./types";

/**
 * Response fields for a decision: draft-ietf-httpapi-ratelimit-headers-11 (`RateLimit-Policy`,
 * `RateLimit`, Structured Field lists with one item per limit), the legacy `X-RateLimit-*` trio
 * the seed's clients read, and `Retry-After` on a deny.
 *
 * Seconds are rounded up, so a client that waits what it is told is never early.
 * `X-RateLimit-Reset` is a Unix time in seconds (the GitHub convention the X- fields come from).
 */
export function rateLimitHeaders(decision: Decision, now: number = Date.now()) {
  const headers: Record<string, string> = {};
  if (decision.limits.length === 0) return headers;

  headers["RateLimit-Policy"] = decision.limits
    .map((l) => `${sfString(l.name)};q=${l.limit};w=${seconds(l.windowMs)}`)
    .join(", ");
  headers.RateLimit = decision.limits
    .map((l) => `${sfString(l.name)};r=${l.remaining};t=${seconds(l.resetMs)}`)
    .join(", ");

  const shown = decision.allowed ? tightest(decision.limits) : longestWait(decision.limits);
  headers["X-RateLimit-Limit"] = String(shown.limit);
  headers["X-RateLimit-Remaining"] = String(decision.allowed ? shown.remaining : 0);
  headers["X-RateLimit-Reset"] = String(Math.ceil((now + shown.resetMs) / 1000));

  if (!decision.allowed) headers["Retry-After"] = String(retryAfterSeconds(decision));
  return headers;
}

/** Whole seconds until the denied request may be retried (at least 1). */
export function retryAfterSeconds(decision: Decision): number {
  const wait = Math.max(0, ...decision.limits.map((l) => l.retryAfterMs));
  return Math.max(1, seconds(wait));
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

// The legacy fields hold one limit: the one closest to denying (ties: the later reset).
function tightest(limits: LimitResult[]): LimitResult {
  return limits.reduce((a, b) =>
    b.remaining < a.remaining || (b.remaining === a.remaining && b.resetMs > a.resetMs) ? b : a,
  );
}

function longestWait(limits: LimitResult[]): LimitResult {
  return limits.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
}

// RFC 9651 sf-string: printable ASCII with `"` and `\` escaped.
function sfString(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return `"${printable.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}
