import { BRAND, oneLine, truncate } from "./format";
import type { RenderedSms } from "./types";

// GSM 03.38 default alphabet (one septet each) and its extension table (escape + char: two).
const GSM_BASIC = new Set(
  Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
  ),
);
const GSM_EXTENDED = new Set(Array.from("^{}\\[~]|€\f"));

const LIMITS = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
} as const;

export interface SmsEncoding {
  encoding: RenderedSms["encoding"];
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
}

/**
 * How the text travels: GSM-7 if every character is in the default alphabet or its extension
 * table (those count two), else UCS-2 (UTF-16 units, so an emoji counts two). A long message is
 * split into parts of 153 / 67 that never cut an escape pair or a surrogate pair in half.
 */
export function smsEncoding(text: string): SmsEncoding {
  const chars = Array.from(text);
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENDED.has(c));
  const encoding = gsm ? "GSM-7" : "UCS-2";
  const sizes = chars.map((c) => (gsm ? (GSM_EXTENDED.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((a, b) => a + b, 0);
  const limit = LIMITS[encoding];
  if (units === 0) return { encoding, segments: 0, units };
  if (units <= limit.single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > limit.part) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, units };
}

// Typographic characters a title or name often carries, spelled in GSM-7 so one of them does
// not turn the whole message into UCS-2 (70 characters a part instead of 160).
const GSM_FRIENDLY: [RegExp, string][] = [
  [/[‘’‚‛′]/gu, "'"],
  [/[“”„‟″]/gu, '"'],
  [/[‐‑‒–—―]/gu, "-"],
  [/…/gu, "..."],
  [/₹/gu, "Rs."],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/gu, " "],
];

export function toGsmFriendly(value: string): string {
  return GSM_FRIENDLY.reduce((s, [re, to]) => s.replace(re, to), value);
}

/**
 * India's DLT rules have every SMS match a registered template where each {#var#} holds at
 * most 30 characters: the body is filled from that pattern, so what is sent is what ops
 * registered. Links are not cut (they would break); they are whitelisted in DLT instead.
 */
export const DLT_VAR_MAX = 30;

export type SmsVar = string | { link: string };

export function sms(pattern: string, vars: SmsVar[]): RenderedSms {
  const holes = pattern.split("{#var#}").length - 1;
  if (holes !== vars.length) {
    throw new Error(`SMS pattern has ${holes} variables, given ${vars.length}`);
  }
  let i = 0;
  const body = pattern.replaceAll("{#var#}", () => {
    const v = vars[i++] ?? "";
    return typeof v === "string" ? truncate(oneLine(toGsmFriendly(v)), DLT_VAR_MAX, "...") : v.link;
  });
  const text = `${BRAND}: ${body}`;
  const { encoding, segments } = smsEncoding(text);
  return { text, encoding, segments };
}

/** The registered DLT text of a pattern, as ops enter it (brand prefix included). */
export const dltText = (pattern: string) => `${BRAND}: ${pattern}`;
