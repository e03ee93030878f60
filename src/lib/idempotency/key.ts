/** Keys are 1–255 visible ASCII characters (VCHAR: no space, no control or non-ASCII bytes). */
export const MAX_KEY_LENGTH = 255;
const VISIBLE_ASCII = /^[\x21-\x7E]+$/;

export type ParsedKey = { ok: true; key: string } | { ok: false; reason: string };

/**
 * The header's value: a Structured Field String as the IETF draft writes it
 * (`Idempotency-Key: "8e03978e-…"`), or the bare token Stripe's clients send. Both name the
 * same key, so a client that switches styles still gets its replay.
 */
export function parseIdempotencyKey(value: string): ParsedKey {
  let key = value;
  if (value.startsWith('"')) {
    const unquoted = unquote(value);
    if (unquoted === undefined) {
      return { ok: false, reason: "A quoted key must be one valid Structured Field String." };
    }
    key = unquoted;
  }
  if (key.length === 0) return { ok: false, reason: "The key is empty." };
  if (key.length > MAX_KEY_LENGTH) {
    return { ok: false, reason: `The key is longer than ${MAX_KEY_LENGTH} characters.` };
  }
  if (!VISIBLE_ASCII.test(key)) {
    return { ok: false, reason: "The key may hold only visible ASCII characters (no spaces)." };
  }
  return { ok: true, key };
}

/** RFC 8941 sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE, nothing after. */
function unquote(value: string): string | undefined {
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\") {
      const next = value[i + 1];
      if (next !== '"' && next !== "\\") return undefined;
      out += next;
      i++;
    } else if (ch === '"') {
      return i === value.length - 1 ? out : undefined;
    } else {
      out += ch;
    }
  }
  return undefined;
}
