/**
 * Opaque secrets (refresh, password-reset, email-verification and admin-request tokens):
 * generated from the CSPRNG, handed to the client once, stored only as a SHA-256 hash.
 */

const encoder = new TextEncoder();

/** Below this a token could be guessed or brute-forced offline from a leaked hash. */
export const MIN_TOKEN_BYTES = 32;
const MAX_TOKEN_BYTES = 1024;

/** A random token of `bytes` bytes (default 32 = 256 bits), base64url without padding. */
export function generateOpaqueToken(bytes = MIN_TOKEN_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES || bytes > MAX_TOKEN_BYTES) {
    throw new RangeError(`token size must be an integer from ${MIN_TOKEN_BYTES} to 1024 bytes`);
  }
  return toBase64(crypto.getRandomValues(new Uint8Array(bytes)), { url: true });
}

/**
 * Lower-case hex SHA-256 of the token's UTF-8 bytes: what the database stores and looks up.
 * No salt or slow hash is needed: the input already has ≥ 256 bits of entropy.
 */
export async function hashToken(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Constant-time equality of two strings (UTF-8). Only the lengths can leak; callers compare
 * values whose length is public anyway (hashes, fixed-size tokens).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  return bytesEqual(encoder.encode(a), encoder.encode(b));
}

/** Constant-time equality of two byte arrays (false, not a throw, when lengths differ). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    // workerd's timingSafeEqual throws on unequal lengths; still spend comparable time.
    crypto.subtle.timingSafeEqual(a, a);
    return false;
  }
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Base64 (standard alphabet or base64url), always without padding. */
export function toBase64(bytes: Uint8Array, opts: { url?: boolean } = {}): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const b64 = btoa(binary).replace(/=+$/, "");
  return opts.url ? b64.replaceAll("+", "-").replaceAll("/", "_") : b64;
}

/** Strict unpadded base64 decoding (standard alphabet); null for anything else. */
export function fromBase64(text: string): Uint8Array | null {
  // atob is "forgiving" (whitespace, padding): a strict check keeps one canonical form.
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
