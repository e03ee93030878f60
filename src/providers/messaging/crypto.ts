/**
 * What webhook signature schemes need beyond src/lib/hmac.ts (whose keys are UTF-8 strings):
 * HMAC with a binary key (Svix secrets are base64 bytes), padded base64, and body bytes.
 */
import { bytesEqual, fromBase64, toBase64 } from "../../lib/tokens";

export type RawBody = ArrayBuffer | Uint8Array | string;

const encoder = new TextEncoder();

/** The exact bytes of a webhook body: a string as UTF-8, bytes as they are. */
export function bodyBytes(body: RawBody): Uint8Array<ArrayBuffer> {
  // TextEncoder always allocates a plain ArrayBuffer.
  if (typeof body === "string") return encoder.encode(body) as Uint8Array<ArrayBuffer>;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new Uint8Array(body); // a copy, so it is backed by a plain ArrayBuffer
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

type HmacKey = ReturnType<typeof crypto.subtle.importKey>;
const keys = new Map<string, HmacKey>();

/** HMAC-SHA256 with a binary key; keys imported once per isolate. */
export async function hmacSha256Bytes(
  key: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const id = toBase64(key);
  let imported = keys.get(id);
  if (!imported) {
    imported = crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(id, imported);
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", await imported, message));
}

/** Standard base64 with padding (what Svix and Twilio send). */
export function toPaddedBase64(bytes: Uint8Array): string {
  const b64 = toBase64(bytes);
  return b64.padEnd(Math.ceil(b64.length / 4) * 4, "=");
}

/** Strict standard base64, padding optional; null for anything else. */
export function fromPaddedBase64(text: string): Uint8Array | null {
  const unpadded = text.replace(/={1,2}$/, "");
  if (unpadded.length !== text.length && text.length % 4 !== 0) return null;
  return fromBase64(unpadded);
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export { bytesEqual };
