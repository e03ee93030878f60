/**
 * One-click unsubscribe links for marketing email (RFC 8058): the link names the address and
 * carries an HMAC of it under a key derived from JWT_SECRET, so only we can make one, and it
 * does nothing but stop marketing email to that address. Nothing is stored: a link stays valid
 * for as long as the key does.
 */
import { hmacHex } from "../hmac";
import { fromBase64, timingSafeEqual, toBase64 } from "../tokens";

const LABEL = "unsubscribe|v1|email|";

async function mac(secret: string, address: string) {
  return hmacHex(`${secret}|unsubscribe`, `${LABEL}${address}`, 16);
}

export async function unsubscribeToken(secret: string, address: string): Promise<string> {
  const encoded = toBase64(new TextEncoder().encode(address), { url: true });
  return `${encoded}.${await mac(secret, address)}`;
}

/** The address a token was made for, or null when it is not one of ours. */
export async function verifyUnsubscribeToken(
  secret: string,
  token: string,
): Promise<string | null> {
  const [encoded, given, extra] = token.split(".");
  if (!encoded || !given || extra !== undefined || encoded.length > 700) return null;
  const bytes = fromBase64(encoded.replaceAll("-", "+").replaceAll("_", "/"));
  if (!bytes) return null;
  let address: string;
  try {
    address = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  return timingSafeEqual(given, await mac(secret, address)) ? address : null;
}

export async function unsubscribeLink(
  baseUrl: string,
  secret: string,
  address: string,
): Promise<string> {
  const url = new URL("/v1/unsubscribe", baseUrl);
  url.searchParams.set("token", await unsubscribeToken(secret, address));
  return url.toString();
}
