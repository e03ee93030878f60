import { parsePhoneNumberFromString } from "libphonenumber-js/max";

const E164 = /^\+[1-9][0-9]{7,14}$/;
// Deliberately loose (the wire schemas check emails strictly): one @, something either side.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A phone number as E.164, or null when it is not a valid number. Numbers without a country
 * code are read as Indian, so `098765 43210`, `9876543210` and `+91 98765-43210` are one number.
 */
export function normalizeContactPhone(raw: string): string | null {
  const input = raw.trim();
  if (!input || input.length > 32 || input.includes("\u0000")) return null;
  const parsed = parsePhoneNumberFromString(input, { defaultCountry: "IN" });
  if (!parsed?.isValid()) return null;
  return E164.test(parsed.number) ? parsed.number : null;
}

/** An email address trimmed and lower-cased (as contacts and users store it), or null. */
export function normalizeContactEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_SHAPE.test(email) || email.includes("\u0000")) return null;
  return email;
}
