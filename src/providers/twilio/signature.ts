/**
 * `X-Twilio-Signature` (PROVIDERS.md §6), as twilio-node's `validateRequest` computes it: the
 * full webhook URL (with its query), then every POST parameter sorted by key as key + value
 * (a key sent several times: its distinct values sorted, each as key + value), then
 * base64(HMAC-SHA1(auth token, data)). Twilio is inconsistent about the default port, so the
 * URL is tried both with the scheme's port (:443 / :80) and without any port.
 * Form-encoded callbacks only (the `bodySHA256` variant for JSON bodies is not needed for SMS).
 */
import { hmacSha1Hex } from "../../lib/hmac";
import { timingSafeEqual } from "../../lib/tokens";
import { hexToBytes, toPaddedBase64 } from "../messaging/crypto";

export type TwilioParams = Record<string, string> | URLSearchParams;

export interface VerifyTwilioInput {
  /** The URL Twilio requested, exactly as configured (scheme, host, path, query). */
  url: string;
  /** The decoded form body. */
  params: TwilioParams;
  header: string | null | undefined;
  authToken: string;
}

/** Parameters as key + value pieces in signing order. */
function paramData(params: TwilioParams): string {
  const grouped = new Map<string, string[]>();
  const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params);
  for (const [key, value] of entries) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  let data = "";
  // Code-unit order, as Array.prototype.sort does in twilio-node; never localeCompare.
  for (const key of [...grouped.keys()].sort()) {
    const values = grouped.get(key) ?? [];
    const ordered = values.length > 1 ? [...new Set(values)].sort() : values;
    for (const value of ordered) data += key + value;
  }
  return data;
}

/** The URL with the scheme's port written out, and without any port (twilio-node's pair). */
function urlVariants(url: string): [string, string] | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  let withPort = u.toString();
  if (!u.port) {
    const port = u.protocol === "https:" ? ":443" : ":80";
    const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ""}@` : "";
    withPort = `${u.protocol}//${auth}${u.host}${port}${u.pathname}${u.search}${u.hash}`;
  }
  u.port = "";
  return [withPort, u.toString()];
}

async function sign(authToken: string, url: string, params: TwilioParams): Promise<string> {
  return toPaddedBase64(hexToBytes(await hmacSha1Hex(authToken, url + paramData(params))));
}

export async function verifyTwilioSignature(input: VerifyTwilioInput): Promise<boolean> {
  const header = input.header?.trim();
  if (!input.authToken || !header) return false;
  const variants = urlVariants(input.url);
  if (!variants) return false;
  const [withPort, withoutPort] = variants;
  const a = timingSafeEqual(await sign(input.authToken, withPort, input.params), header);
  const b = timingSafeEqual(await sign(input.authToken, withoutPort, input.params), header);
  return a || b;
}

/** The header Twilio would send for this URL as given (tests and fakes). */
export async function signTwilio(input: {
  url: string;
  params: TwilioParams;
  authToken: string;
}): Promise<string> {
  return sign(input.authToken, new URL(input.url).toString(), input.params);
}
