/**
 * Verifying Zoom's webhooks, as a pure function the route calls on the raw body before it
 * parses anything: signature (constant time) and timestamp within 5 minutes either way.
 */
import { timingSafeEqual } from "../../lib/tokens";
import { ZOOM_SIGNATURE_HEADER, ZOOM_TIMESTAMP_HEADER, zoomSignature } from "./signature";

/** How far the signed timestamp may be from our clock, in the past or the future. */
export const ZOOM_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type ZoomWebhookRejection =
  /** No secret configured: refuse everything rather than check against an empty key. */
  | "no_secret"
  | "missing_signature"
  | "missing_timestamp"
  | "malformed_timestamp"
  | "stale"
  | "future"
  | "bad_signature";

export type ZoomWebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: ZoomWebhookRejection };

type HeaderSource = Headers | Record<string, string | null | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (headers[key] ?? undefined);
}

/**
 * `rawBody` is the body exactly as received (`await c.req.arrayBuffer()` or `.text()`), never
 * re-serialised JSON. `now` is injectable for tests. Reasons are for logs; answer the caller
 * with a plain 401 whatever the reason.
 */
export async function verifyZoomWebhook(
  rawBody: string | Uint8Array | ArrayBuffer,
  headers: HeaderSource,
  secret: string | undefined,
  now: Date | number = Date.now(),
): Promise<ZoomWebhookVerification> {
  if (!secret) return { ok: false, reason: "no_secret" };
  const signature = header(headers, ZOOM_SIGNATURE_HEADER)?.trim();
  const timestamp = header(headers, ZOOM_TIMESTAMP_HEADER)?.trim();
  if (!signature) return { ok: false, reason: "missing_signature" };
  if (!timestamp) return { ok: false, reason: "missing_timestamp" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed_timestamp" };

  const nowSeconds = Math.floor((typeof now === "number" ? now : now.getTime()) / 1000);
  const age = nowSeconds - Number(timestamp);
  if (age > ZOOM_WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: "stale" };
  if (age < -ZOOM_WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: "future" };

  const body = rawBody instanceof ArrayBuffer ? new Uint8Array(rawBody) : rawBody;
  const expected = await zoomSignature(secret, timestamp, body);
  // Both sides are `v0=` + 64 hex digits when genuine; only the length can leak, and it is public.
  if (!timingSafeEqual(expected, signature.toLowerCase())) {
    return { ok: false, reason: "bad_signature" };
  }
  return { ok: true, timestamp: Number(timestamp) };
}
