/**
 * India's time for the payments back office. IST is UTC+05:30 all year (no daylight saving), so
 * a fixed offset is exact: a plain date `2026-03-31` means 2026-03-31T00:00:00+05:30.
 */
import { validationFailed } from "../../../../lib/errors";

export const IST_TIMEZONE = "Asia/Kolkata";
const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Midnight in India at the start of `date` (YYYY-MM-DD). */
export function istMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - IST_OFFSET_MS);
}

/** The day `date` in India: [midnight, next midnight). */
export function istDay(date: string): { start: Date; end: Date } {
  const start = istMidnight(date);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

/** Today's date in India (YYYY-MM-DD). */
export function istToday(now = new Date()): string {
  return new Date(now.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** `2026-03-31 23:59:59` in India's time, for people reading a spreadsheet. */
export function formatIst(at: Date | null): string {
  if (!at) return "";
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** A `from`/`to` filter value: a plain date is midnight in India, an instant is itself. */
export function boundary(value: string): Date {
  return PLAIN_DATE.test(value) ? istMidnight(value) : new Date(value);
}

export interface Range {
  from?: Date;
  to?: Date;
}

/** Both ends parsed; `to` must come after `from` (inclusive from, exclusive to). */
export function parseRange(input: { from?: string; to?: string }): Range {
  const from = input.from === undefined ? undefined : boundary(input.from);
  const to = input.to === undefined ? undefined : boundary(input.to);
  if (from && to && from.getTime() >= to.getTime()) {
    throw validationFailed([{ path: "to", message: "`to` must be later than `from`." }]);
  }
  return { from, to };
}

export const MAX_EXPORT_DAYS = 366;

/** An export's window: both ends given, in order, at most a year (and a leap day) apart. */
export function exportRange(input: { from: string; to: string }): { from: Date; to: Date } {
  const { from, to } = parseRange(input);
  if (!from || !to) throw validationFailed([{ path: "from", message: "Required." }]);
  if (to.getTime() - from.getTime() > MAX_EXPORT_DAYS * DAY_MS) {
    throw validationFailed([
      { path: "to", message: `An export covers at most ${MAX_EXPORT_DAYS} days.` },
    ]);
  }
  return { from, to };
}
