/**
 * The transport half every messaging adapter shares: one bounded HTTP exchange that never
 * throws, Retry-After parsing, and the default classification of an HTTP failure
 * (5xx/408/429, timeouts and network errors are worth retrying; any other 4xx is not).
 */
import { type SendFailure, TRANSPORT_CODES } from "./types";

export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Retry-After is clamped to [1 s, 12 h]: a zero or past value still means "later", and 12 h is
 * the longest delay Cloudflare Queues accepts for a retried message.
 */
export const MIN_RETRY_AFTER_SECONDS = 1;
export const MAX_RETRY_AFTER_SECONDS = 12 * 60 * 60;
/** How much of a provider's own error text is kept. */
const MAX_DETAIL = 200;

const clampRetry = (seconds: number) =>
  Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(seconds)));

/**
 * Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date (RFC 9110 §10.2.3),
 * clamped as above. Undefined when absent or unreadable (the caller's own backoff applies).
 */
export function parseRetryAfterSeconds(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return clampRetry(Number(trimmed));
  // Only date forms: Date.parse would also read "12" or "-5" as years.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : clampRetry((at - now) / 1000);
}

/** Retry-After (any case: Headers are case-insensitive), else the IETF `ratelimit-reset`. */
export function retryAfterFromHeaders(headers: Headers, now: number = Date.now()) {
  return (
    parseRetryAfterSeconds(headers.get("retry-after"), now) ??
    parseRetryAfterSeconds(headers.get("ratelimit-reset"), now)
  );
}

/** Replaces every secret (and anything after "Bearer"/"Basic") in text meant for storage. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.replaceAll(secret, "[redacted]");
  }
  return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, "$1 [redacted]");
}

/** A provider's own words, cut short and stripped of control characters and secrets. */
export function safeDetail(value: unknown, secrets: readonly (string | undefined)[]): string {
  if (typeof value !== "string" || !value) return "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return redact(clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean, secrets);
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  json: unknown;
}

export interface ExchangeOptions {
  provider: string;
  timeoutMs: number;
  fetch: typeof fetch;
  /** Values that must never reach an error message (keys, tokens). */
  secrets: readonly (string | undefined)[];
}

/**
 * One request, bounded by the timeout from start to the end of the body. Any answer comes back
 * as an `Answer`; a timeout or network error as a retryable failure. Never throws.
 */
export async function exchange(
  url: string,
  init: RequestInit,
  opts: ExchangeOptions,
): Promise<{ ok: true; answer: Answer } | { ok: false; failure: SendFailure }> {
  try {
    const res = await opts.fetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { ok: true, answer: { status: res.status, headers: res.headers, json } };
  } catch (err) {
    const name = err instanceof Error ? err.name : "unknown";
    if (name === "TimeoutError" || name === "AbortError") {
      return {
        ok: false,
        failure: {
          ok: false,
          retryable: true,
          code: TRANSPORT_CODES.TIMEOUT,
          error: `${opts.provider}: no answer within ${opts.timeoutMs} ms`,
        },
      };
    }
    const detail = safeDetail(err instanceof Error ? err.message : String(err), opts.secrets);
    return {
      ok: false,
      failure: {
        ok: false,
        retryable: true,
        code: TRANSPORT_CODES.NETWORK,
        error: `${opts.provider}: request failed (${name}${detail ? `: ${detail}` : ""})`,
      },
    };
  }
}

/** Whether an HTTP status alone says "try again later". */
export const retryableStatus = (status: number) =>
  status >= 500 || status === 429 || status === 408;

/** The default failure for an HTTP answer; adapters refine it with the provider's error codes. */
export function httpFailure(
  answer: Answer,
  fields: { provider: string; code?: string; detail?: string; retryable?: boolean; now?: number },
): SendFailure {
  const retryable = fields.retryable ?? retryableStatus(answer.status);
  const retryAfterSeconds = retryable
    ? retryAfterFromHeaders(answer.headers, fields.now ?? Date.now())
    : undefined;
  return {
    ok: false,
    retryable,
    status: answer.status,
    code:
      fields.code ??
      (answer.status === 429 ? TRANSPORT_CODES.RATE_LIMITED : `HTTP_${answer.status}`),
    error: `${fields.provider}: HTTP ${answer.status}${fields.detail ? ` ${fields.detail}` : ""}`,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

/** A failure decided before any request (bad input): never retryable. */
export function invalidRequest(provider: string, why: string): SendFailure {
  return {
    ok: false,
    retryable: false,
    code: TRANSPORT_CODES.INVALID_REQUEST,
    error: `${provider}: ${why}`,
  };
}

export const E164 = /^\+[1-9]\d{7,14}$/;
