import * as z from "zod";

/** Signs every message; SMS bodies start with it (the sender ID alone is not always shown). */
export const BRAND = "Coaching";

export const IST = "Asia/Kolkata";

// Control characters (but tab and newline) and bidi overrides, which could make a name or
// title read as something else; ZWJ/ZWNJ stay (Indic scripts need them).
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;
const KEEP = new Set(["\n", "\t"]);

export function stripUnsafe(value: string): string {
  return value.replace(UNSAFE, (c) => (KEEP.has(c) ? c : ""));
}

/** User-supplied text, cleaned of control and bidi-override characters, 1..max characters. */
export const text = (max: number) =>
  z
    .string()
    .transform((s) => stripUnsafe(s).trim())
    .pipe(z.string().min(1).max(max));

/** A link a recipient may click: http(s) only, normalised (so it can be compared and escaped). */
export const link = () =>
  z
    .string()
    .max(2000)
    .refine(isHttpUrl, { message: "links must be http(s) URLs" })
    .transform((s) => new URL(s).toString());

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
}

/** An instant with its offset, as stored in JSON (the outbox keeps variables as JSON). */
export const instant = () => z.iso.datetime({ offset: true });

export const paise = () => z.int().positive();

/** IANA zone the times are shown in; the business is Indian, so IST unless a batch says otherwise. */
export const timeZone = () =>
  z.string().refine(isTimeZone, { message: "unknown IANA time zone" }).default(IST);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-IN", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ticketNumber = () =>
  z.string().regex(/^TKT-\d{4}-\d{6,}$/, { message: "ticket numbers look like TKT-2026-000123" });

/**
 * ₹ with Indian grouping and two decimals from integer paise, without float arithmetic:
 * 12345600 → "₹1,23,456.00".
 */
export function formatRupees(paise: number): string {
  const whole = Math.trunc(paise / 100);
  const rest = String(Math.abs(paise % 100)).padStart(2, "0");
  return `₹${whole.toLocaleString("en-IN")}.${rest}`;
}

/** The same amount in GSM-7 characters ("₹" would turn an SMS into UCS-2 and halve it). */
export const formatRupeesSms = (amountPaise: number) =>
  formatRupees(amountPaise).replace("₹", "Rs.");

/**
 * "Mon, 7 Dec 2026, 5:30 pm IST": assembled from parts, so it reads the same whatever ICU
 * version the runtime carries (some put a comma after the month or a narrow no-break space
 * before "pm", which is not GSM-7).
 */
export function formatTime(iso: string, zone: string = IST): string {
  const parts = new Intl.DateTimeFormat("en-IN", {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    hour12: true,
    timeZoneName: "short",
  }).formatToParts(new Date(iso));
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? "";
  const label = zone === IST ? "IST" : get("timeZoneName");
  return `${get("weekday")}, ${get("day")} ${get("month")} ${get("year")}, ${get("hour")}:${get("minute")} ${get("dayPeriod").toLowerCase()} ${label}`;
}

/** At most `max` characters (code points, so an emoji or conjunct is never cut in half). */
export function truncate(value: string, max: number, ellipsis = "…"): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  return `${chars
    .slice(0, Math.max(0, max - Array.from(ellipsis).length))
    .join("")
    .trimEnd()}${ellipsis}`;
}

/** One line: every run of whitespace (newlines, tabs) becomes one space. */
export function oneLine(value: string): string {
  return value.replace(/\s+/gu, " ").trim();
}

export const hours = (n: number) => (n === 1 ? "1 hour" : `${n} hours`);
