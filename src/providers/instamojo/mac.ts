/**
 * Instamojo's webhook MAC (PROVIDERS.md §1): drop `mac`, sort the keys case-insensitively, join
 * the VALUES with "|" (empty values stay empty), hex(HMAC-SHA1(private salt, joined)).
 *
 * Ambiguous forms are refused, never guessed at: a key sent twice, or two keys that differ only
 * in case (`amount` and `Amount`), have no single order or value Instamojo could have signed,
 * so `instamojoMac` throws a TypeError and `verifyInstamojoMac` answers false. The received mac
 * is compared case-insensitively (hex case carries no secret), in constant time.
 */
import { hmacSha1Hex } from "../../lib/hmac";
import { timingSafeEqual } from "../../lib/tokens";

export const INSTAMOJO_MAC_FIELD = "mac";
const MAC_HEX = /^[0-9a-fA-F]{40}$/;

/** Keys in signing order, or null when the form is ambiguous (see above). */
function signingOrder(fields: Iterable<[string, string]>): [string, string][] | null {
  const seen = new Set<string>();
  const kept: [string, string, string][] = [];
  for (const [key, value] of fields) {
    if (key === INSTAMOJO_MAC_FIELD) continue;
    const folded = key.toLowerCase();
    if (seen.has(folded)) return null;
    seen.add(folded);
    kept.push([folded, key, value]);
  }
  // Code-unit order of the lower-cased keys, like Python's sorted(key=str.lower); never
  // localeCompare, whose order depends on the runtime's locale data.
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return kept.map(([, key, value]) => [key, value]);
}

/** Hex HMAC-SHA1 over the fields' values (any `mac` among them is ignored). */
export async function instamojoMac(
  fields: Iterable<[string, string]>,
  salt: string,
): Promise<string> {
  if (!salt) throw new TypeError("instamojoMac needs the private salt");
  const ordered = signingOrder(fields);
  if (!ordered) throw new TypeError("instamojoMac: a key appears twice (ignoring case)");
  return hmacSha1Hex(salt, ordered.map(([, value]) => value).join("|"));
}

/**
 * Whether a decoded webhook form carries exactly one valid `mac` for the rest of its fields.
 * False without a salt, without a mac or with several, and for ambiguous forms.
 */
export async function verifyInstamojoMac(
  form: URLSearchParams,
  salt: string | undefined,
): Promise<boolean> {
  if (!salt) return false;
  const macs = form.getAll(INSTAMOJO_MAC_FIELD);
  const received = macs[0];
  if (macs.length !== 1 || received === undefined || !MAC_HEX.test(received)) return false;
  const ordered = signingOrder(form);
  if (!ordered) return false;
  const expected = await hmacSha1Hex(salt, ordered.map(([, value]) => value).join("|"));
  return timingSafeEqual(expected, received.toLowerCase());
}

/** The form body Instamojo would post: the fields in order given, then `mac`. */
export async function signInstamojoWebhook(
  fields: Iterable<[string, string]> | Record<string, string>,
  salt: string,
): Promise<string> {
  const entries: [string, string][] =
    Symbol.iterator in fields
      ? [...(fields as Iterable<[string, string]>)]
      : Object.entries(fields);
  const body = new URLSearchParams(entries.filter(([key]) => key !== INSTAMOJO_MAC_FIELD));
  body.append(INSTAMOJO_MAC_FIELD, await instamojoMac(entries, salt));
  return body.toString();
}
