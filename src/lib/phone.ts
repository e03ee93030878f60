/**
 * Normalises a phone number to E.164. Numbers without a country code are taken as Indian
 * (+91, ten digits starting 6–9), the business' home market; anything else needs a "+".
 */
export function normalizePhone(input: string): string | null {
  const compact = input.trim().replace(/[\s().-]/g, "");
  if (/^\+[1-9]\d{7,14}$/.test(compact)) {
    return compact.startsWith("+91") && !/^\+91[6-9]\d{9}$/.test(compact) ? null : compact;
  }
  const digits = compact.replace(/^00/, "+").replace(/^\+/, "");
  if (compact.startsWith("00") && /^[1-9]\d{7,14}$/.test(digits)) return `+${digits}`;
  if (/^[6-9]\d{9}$/.test(compact)) return `+91${compact}`;
  if (/^0[6-9]\d{9}$/.test(compact)) return `+91${compact.slice(1)}`;
  if (/^91[6-9]\d{9}$/.test(compact)) return `+${compact}`;
  return null;
}
