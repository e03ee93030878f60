/**
 * Integer paise <-> Instamojo's rupee amounts ("499.00"), by string manipulation only: a float
 * (0.1 + 0.2) must never decide what a student pays or gets back.
 */

/** Digits, then at most two decimals that matter; further decimals must be zeros ("499.500"). */
const RUPEES = /^(\d{1,13})(?:\.(\d{1,2})0*)?$/;

/** "499.00" for 49900. Throws a TypeError for anything but a non-negative safe integer. */
export function paiseToRupees(paise: number): string {
  if (!Number.isSafeInteger(paise) || paise < 0) {
    throw new TypeError("amount in paise must be a non-negative safe integer");
  }
  const digits = String(paise).padStart(3, "0");
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/**
 * Paise for an amount as Instamojo writes it: "499.00", "499", "499.5", or a JSON number. Null
 * for negatives, exponents, more than two significant decimals, blanks and anything else.
 */
export function parseRupees(value: unknown): number | null {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return null;
    // String(499.5) is "499.5"; a float that is not a whole number of paise
    // (0.30000000000000004) or needs an exponent fails the pattern below.
    text = String(value);
  } else if (typeof value === "string") {
    text = value;
  } else {
    return null;
  }
  const m = RUPEES.exec(text);
  if (!m?.[1]) return null;
  const paise = Number(m[1] + (m[2] ?? "").padEnd(2, "0"));
  return Number.isSafeInteger(paise) ? paise : null;
}

/** Like parseRupees, but throws a TypeError for what it cannot read. */
export function rupeesToPaise(value: string | number): number {
  const paise = parseRupees(value);
  if (paise === null) throw new TypeError("not an amount in rupees");
  return paise;
}
