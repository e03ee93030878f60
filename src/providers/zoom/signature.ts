/**
 * Zoom's webhook signature and URL-validation answer (PROVIDERS.md §2; zoom/webhook-sample):
 *   x-zm-signature = "v0=" + hex(HMAC-SHA256(secret token, "v0:" + timestamp + ":" + raw body))
 *   encryptedToken = hex(HMAC-SHA256(secret token, plainToken))
 * Runs in the Worker and in Node (scripts/zoom-event.ts): `.js` specifiers resolve under both
 * tsconfigs, and hmac.ts needs only WebCrypto.
 */
import { hmacHex } from "../../lib/hmac.js";

export const ZOOM_SIGNATURE_HEADER = "x-zm-signature";
export const ZOOM_TIMESTAMP_HEADER = "x-zm-request-timestamp";

/** `v0=<hex>` over the raw body exactly as received (bytes, or the string's UTF-8). */
export async function zoomSignature(
  secret: string,
  timestamp: string,
  rawBody: string | Uint8Array,
): Promise<string> {
  const prefix = new TextEncoder().encode(`v0:${timestamp}:`);
  const body = typeof rawBody === "string" ? new TextEncoder().encode(rawBody) : rawBody;
  const message = new Uint8Array(prefix.byteLength + body.byteLength);
  message.set(prefix, 0);
  message.set(body, prefix.byteLength);
  return `v0=${await hmacHex(secret, message)}`;
}

/** The 200 body that answers `endpoint.url_validation`. */
export async function zoomUrlValidationResponse(
  plainToken: string,
  secret: string,
): Promise<{ plainToken: string; encryptedToken: string }> {
  return { plainToken, encryptedToken: await hmacHex(secret, plainToken) };
}

/** The two headers Zoom sends with a body signed at `at` (Unix seconds in the header). */
export async function signZoomWebhook(
  rawBody: string,
  secret: string,
  at: Date = new Date(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    [ZOOM_TIMESTAMP_HEADER]: timestamp,
    [ZOOM_SIGNATURE_HEADER]: await zoomSignature(secret, timestamp, rawBody),
  };
}
