/**
 * Svix webhook signatures, as Resend sends them (PROVIDERS.md §5): headers `svix-id`,
 * `svix-timestamp` (Unix s) and `svix-signature`, a space-separated list of `v1,<base64>`;
 * each is base64(HMAC-SHA256(key, "{id}.{timestamp}.{raw body}")) where the key is the
 * base64-decoded secret after `whsec_`. Several signatures appear while a secret rotates:
 * any one valid `v1` is enough. Timestamps further than the tolerance from now, either way,
 * are refused (replays, and clocks too far off to trust).
 */
import {
  bodyBytes,
  bytesEqual,
  concatBytes,
  fromPaddedBase64,
  hmacSha256Bytes,
  type RawBody,
  toPaddedBase64,
} from "../messaging/crypto";

export const SVIX_DEFAULT_TOLERANCE_SECONDS = 300;

export interface VerifySvixInput {
  id: string | null;
  timestamp: string | null;
  signatureHeader: string | null;
  rawBody: RawBody;
  /** `whsec_<base64>` (the prefix is optional). */
  secret: string;
  /** Epoch milliseconds or a Date (default now). */
  now?: number | Date;
  toleranceSeconds?: number;
}

/** The signing key from `whsec_…`; null when the secret is not base64. */
function svixKey(secret: string): Uint8Array<ArrayBuffer> | null {
  const key = fromPaddedBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  return key && key.byteLength > 0 ? new Uint8Array(key) : null;
}

async function signature(key: Uint8Array<ArrayBuffer>, id: string, ts: string, body: RawBody) {
  const prefix = new TextEncoder().encode(`${id}.${ts}.`);
  return hmacSha256Bytes(key, concatBytes(prefix, bodyBytes(body)));
}

export async function verifySvix(input: VerifySvixInput): Promise<boolean> {
  const { id, timestamp, signatureHeader } = input;
  if (!id || !timestamp || !signatureHeader || !/^\d{1,12}$/.test(timestamp)) return false;
  const key = svixKey(input.secret);
  if (!key) return false;
  const now = input.now instanceof Date ? input.now.getTime() : (input.now ?? Date.now());
  const tolerance = input.toleranceSeconds ?? SVIX_DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(Math.floor(now / 1000) - Number(timestamp)) > tolerance) return false;

  const expected = await signature(key, id, timestamp, input.rawBody);
  let valid = false;
  for (const part of signatureHeader.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const received = fromPaddedBase64(part.slice(comma + 1));
    // No early return: every candidate is compared.
    if (received && bytesEqual(received, expected)) valid = true;
  }
  return valid;
}

/** The `svix-signature` value Svix would send (tests and fakes). */
export async function signSvix(input: {
  id: string;
  timestamp: string | number;
  rawBody: RawBody;
  secret: string;
}): Promise<string> {
  const key = svixKey(input.secret);
  if (!key) throw new TypeError("signSvix: the secret is not whsec_<base64>");
  const sig = await signature(key, input.id, String(input.timestamp), input.rawBody);
  return `v1,${toPaddedBase64(sig)}`;
}
