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
 * India's DLT rules have every SMS match a template registered with the operator, each {#var#}
 * holding at most 30 characters. Bodies are filled from these patterns, so what is sent is what
 * ops registered (as `dltText(pattern)`: the brand prefix included); the sender maps the key to
 * its DLT template id. Links are not cut (they would break): ops whitelist the domain in DLT.
 */
export const SMS_TEMPLATES = {
  class_reminder_v1: "your class {#var#} starts {#var#}. Join: {#var#}",
  schedule_change_rescheduled_v1: "class {#var#} moved to {#var#}. Schedule: {#var#}",
  schedule_change_updated_v1: "class {#var#} on {#var#} has changed. Schedule: {#var#}",
  schedule_change_cancelled_v1: "class {#var#} on {#var#} is cancelled. Schedule: {#var#}",
  payment_receipt_v1:
    "payment of {#var#} received for {#var#}. Seat confirmed. Invoice {#var#}: {#var#}",
  refund_initiated_v1:
    "refund of {#var#} for {#var#} started. Banks take 5-7 working days. Details by email.",
  refund_processed_v1:
    "your refund of {#var#} for {#var#} is processed. Banks take 5-7 working days to show it.",
  ticket_reply_v1: "support replied to your ticket {#var#}. Read it: {#var#}",
  lead_follow_up_v1: "thanks for your interest in {#var#}. See upcoming batches: {#var#}",
} as const;

export type SmsTemplateName = keyof typeof SMS_TEMPLATES;

export const DLT_VAR_MAX = 30;

export type SmsVar = string | { link: string };

export function sms(template: SmsTemplateName, vars: SmsVar[]): RenderedSms {
  const pattern: string = SMS_TEMPLATES[template];
  const holes = pattern.split("{#var#}").length - 1;
  if (holes !== vars.length) {
    throw new Error(`SMS template ${template} has ${holes} variables, given ${vars.length}`);
  }
  let i = 0;
  const body = pattern.replaceAll("{#var#}", () => {
    const v = vars[i++] ?? "";
    return typeof v === "string" ? truncate(oneLine(toGsmFriendly(v)), DLT_VAR_MAX, "...") : v.link;
  });
  const text = `${BRAND}: ${body}`;
  const { encoding, segments } = smsEncoding(text);
  return { template, text, encoding, segments };
}

/** The registered DLT text of a pattern, as ops enter it (brand prefix included). */
export const dltText = (pattern: string) => `${BRAND}: ${pattern}`;
