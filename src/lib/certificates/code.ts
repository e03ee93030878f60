/**
 * Certificate codes: what a person reads off a printed certificate or types into the verify page.
 *
 * 26 Crockford base32 symbols (130 random bits from crypto.getRandomValues) plus one check
 * symbol, 27 in all. Stored and compared in compact form (`CERTIFICATE_CODE_REGEX`), shown
 * grouped 4-4-4-5-5-5 with hyphens (`formatCertificateCode`), e.g. `7KQ4-M2XD-9RTB-…`.
 *
 * Check symbol: NOT Crockford's mod-37 one. Its extra symbols `*~$=U` need percent-encoding in
 * URLs and are awkward to read aloud, and mod 37 ≠ 32 makes the weighted sum lossy. Instead the
 * symbol comes from the same 32 alphabet and makes
 *
 *     Σ_{i=0..26} α^(26-i) · s_i = 0   in GF(32) = GF(2)[x] / (x^5 + x^2 + 1), α = x
 *
 * where s_0..s_25 are the data symbols and s_26 is the check symbol (a one-symbol Reed-Solomon
 * parity). α is primitive (order 31), so the 27 weights α^26..α^0 are distinct and non-zero:
 * - a substitution at position i changes the sum by α^k·e with e ≠ 0: never zero, always caught;
 * - swapping two different symbols at i, j (adjacent or not) changes it by (α^a + α^b)(s_i + s_j),
 *   a product of two non-zero field elements: always caught.
 * test/certificates/code.test.ts checks both exhaustively over sample codes.
 *
 * Parsing follows Crockford's decoding: case-insensitive, hyphens and spaces ignored, I and L
 * read as 1, O as 0. U (and the mod-37 check symbols) are not symbols here: malformed.
 */

export const CERTIFICATE_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Data symbols: 26 × 5 = 130 random bits. */
export const CERTIFICATE_CODE_DATA_LENGTH = 26;
/** Data symbols plus the check symbol. */
export const CERTIFICATE_CODE_LENGTH = CERTIFICATE_CODE_DATA_LENGTH + 1;
export const CERTIFICATE_CODE_RANDOM_BITS = CERTIFICATE_CODE_DATA_LENGTH * 5;
/** Group sizes of the display form. */
export const CERTIFICATE_CODE_GROUPS = [4, 4, 4, 5, 5, 5] as const;
/** The compact (stored, canonical) form. */
export const CERTIFICATE_CODE_REGEX = /^[0-9A-HJKMNP-TV-Z]{27}$/;
/** The display form, as `formatCertificateCode` writes it. */
export const CERTIFICATE_CODE_DISPLAY_REGEX =
  /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

export type ParsedCertificateCode =
  | { ok: true; code: string; display: string }
  | { ok: false; reason: "malformed" | "check_failed" };

// GF(32) exp/log tables for the primitive polynomial x^5 + x^2 + 1 (0b100101).
const EXP: number[] = [];
const LOG: number[] = new Array(32).fill(0);
for (let i = 0, v = 1; i < 31; i++) {
  EXP[i] = v;
  LOG[v] = i;
  v <<= 1;
  if (v & 32) v ^= 0b100101;
}

const gfMul = (a: number, b: number) =>
  a === 0 || b === 0 ? 0 : (EXP[((LOG[a] ?? 0) + (LOG[b] ?? 0)) % 31] ?? 0);

const VALUE = new Map([...CERTIFICATE_CODE_ALPHABET].map((ch, i) => [ch, i]));

/** Horner over GF(32): Σ α^(n-1-i) · v_i for the given symbol values. */
function syndrome(values: number[]): number {
  let acc = 0;
  for (const v of values) acc = gfMul(acc, 2) ^ v;
  return acc;
}

/** The check symbol for 26 data symbol values: the one that makes the full syndrome zero. */
function checkValue(data: number[]): number {
  // syndrome(data ++ [c]) = α·syndrome(data) + c, and + is xor: c = α·syndrome(data).
  return gfMul(syndrome(data), 2);
}

/** A fresh code, compact form (27 symbols, the last one the check symbol). */
export function newCertificateCode(): string {
  // 256 is a multiple of 32: the low 5 bits of a uniform byte are uniform.
  const bytes = crypto.getRandomValues(new Uint8Array(CERTIFICATE_CODE_DATA_LENGTH));
  const data = [...bytes].map((b) => b & 31);
  return [...data, checkValue(data)].map((v) => CERTIFICATE_CODE_ALPHABET[v]).join("");
}

/** Compact → display form (hyphenated groups). Accepts any form `parseCertificateCode` accepts. */
export function formatCertificateCode(code: string): string {
  const compact = normalise(code);
  const groups: string[] = [];
  let at = 0;
  for (const size of CERTIFICATE_CODE_GROUPS) {
    groups.push(compact.slice(at, at + size));
    at += size;
  }
  if (at < compact.length) groups.push(compact.slice(at));
  return groups.filter(Boolean).join("-");
}

function normalise(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s-]+/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");
}

/**
 * What a person typed → the compact code, or why not: `malformed` (wrong length or a symbol
 * outside the alphabet) or `check_failed` (well-formed but mistyped: a symbol changed or two
 * swapped), so the caller can say "check the code" rather than "no such certificate".
 */
export function parseCertificateCode(input: string): ParsedCertificateCode {
  if (typeof input !== "string" || input.length > 64) return { ok: false, reason: "malformed" };
  const code = normalise(input);
  if (!CERTIFICATE_CODE_REGEX.test(code)) return { ok: false, reason: "malformed" };
  const values = [...code].map((ch) => VALUE.get(ch) ?? 0);
  if (syndrome(values) !== 0) return { ok: false, reason: "check_failed" };
  return { ok: true, code, display: formatCertificateCode(code) };
}
