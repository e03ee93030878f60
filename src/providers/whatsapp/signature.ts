/**
 * WhatsApp webhook authenticity (PROVIDERS.md §3):
 * - POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, checked over
 *   the raw bytes before any parsing, in constant time;
 * - GET (subscription): `hub.mode=subscribe`, `hub.verify_token` equal to ours → answer the
 *   raw `hub.challenge` with 200; anything else → 403.
 */
import { hmacHex } from "../../lib/hmac";
import { timingSafeEqual } from "../../lib/tokens";
import { bodyBytes, type RawBody } from "../messaging/crypto";

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

export async function verifyWhatsAppSignature(
  rawBody: RawBody,
  header: string | null | undefined,
  appSecret: string,
): Promise<boolean> {
  if (!appSecret || !header) return false;
  const received = HEADER.exec(header.trim())?.[1];
  if (!received) return false;
  const expected = await hmacHex(appSecret, bodyBytes(rawBody));
  return timingSafeEqual(expected, received.toLowerCase());
}

/** The header value Meta would send (tests and fakes). */
export async function signWhatsApp(rawBody: RawBody, appSecret: string): Promise<string> {
  return `sha256=${await hmacHex(appSecret, bodyBytes(rawBody))}`;
}

/**
 * The challenge to echo when the subscription request carries our verify token, else null
 * (answer 403). `query` is the request's search params or a plain record of them.
 */
export function verifyWhatsAppChallenge(
  query: URLSearchParams | Record<string, string | undefined>,
  verifyToken: string,
): string | null {
  const get = (k: string) =>
    query instanceof URLSearchParams ? (query.get(k) ?? undefined) : query[k];
  const mode = get("hub.mode");
  const token = get("hub.verify_token");
  const challenge = get("hub.challenge");
  if (!verifyToken || mode !== "subscribe" || !token || !challenge) return null;
  return timingSafeEqual(token, verifyToken) ? challenge : null;
}
