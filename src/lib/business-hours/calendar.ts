/**
 * Business time: the hours a support team is at work, in its own time zone, less holidays.
 *
 * How the arithmetic works. A calendar day is walked as wall-clock time written as if it were
 * UTC ("wall ms"): midnight of each day is a multiple of 24 h there, the weekday and the
 * YYYY-MM-DD key come from the UTC getters, and no step depends on the machine's own time zone
 * (workerd's is UTC; a developer's laptop may not be). Only turning a wall time into an instant
 * needs the zone, and @date-fns/tz's `tzOffset` gives the offset from the IANA database.
 * India has had no daylight saving since 1945, but the two-pass conversion in `fromWall` stays
 * right for a zone that has it. (`TZDate` does the same job but costs ~10× more per day walked,
 * which adds up in a job that evaluates every open ticket.)
 */
import { tzOffset } from "@date-fns/tz";
import { isValid, parseISO } from "date-fns";

/** Business hours on a calendar. Times are in `timeZone`; so are the holiday dates. */
export interface BusinessCalendar {
  timeZone: "Asia/Kolkata";
  /** ISO weekdays the team works: 1 = Monday … 6 = Saturday (7 = Sunday). */
  days: number[];
  /** Opening and closing time, "HH:MM", 24-hour clock. */
  open: "09:00";
  close: "18:00";
  /** Whole days off, YYYY-MM-DD in `timeZone` (see `parseHolidays`). */
  holidays: string[];
}

/** One working day of business time (09:00–18:00): "2 days" in an SLA means 1080 minutes. */
export const BUSINESS_DAY_MINUTES = 540;

/** A configuration value (holiday list, SLA targets, calendar) that cannot be used. */
export class BusinessHoursConfigError extends Error {
  override name = "BusinessHoursConfigError";
}

/** IST, Monday–Saturday 09:00–18:00, less `holidays` (validated; see `parseHolidays`). */
export function defaultCalendar(holidays: string[] = []): BusinessCalendar {
  return {
    timeZone: "Asia/Kolkata",
    days: [1, 2, 3, 4, 5, 6],
    open: "09:00",
    close: "18:00",
    holidays: normaliseHolidays(holidays),
  };
}

/**
 * A holiday list from configuration, e.g. `"2026-12-25,2027-01-26"`: comma-separated dates
 * (YYYY-MM-DD, in the calendar's zone), spaces around them allowed. Returns them sorted without
 * repeats. A blank value means no holidays. Anything else that is not a real calendar date
 * between 2000 and 2099 (`2026-02-30`, `25/12/2026`, an empty item from `a,,b`) is refused with
 * a `BusinessHoursConfigError` naming the item, so a typo cannot quietly make a working day
 * count as a holiday or a holiday count as a working day.
 */
export function parseHolidays(csv: string): string[] {
  if (typeof csv !== "string") {
    throw new BusinessHoursConfigError("Holiday list must be a string of YYYY-MM-DD dates.");
  }
  if (csv.trim() === "") return [];
  return normaliseHolidays(csv.split(",").map((item) => item.trim()));
}

const ISO_DATE = /^(\d{4})-\d{2}-\d{2}$/;

function holidayProblem(date: unknown): string | null {
  if (typeof date !== "string" || date === "") return "an empty item";
  const match = ISO_DATE.exec(date);
  if (!match || !isValid(parseISO(date))) return "not a calendar date in the form YYYY-MM-DD";
  const year = Number(match[1]);
  if (year < 2000 || year > 2099) return "outside the years 2000–2099";
  return null;
}

function normaliseHolidays(dates: readonly unknown[]): string[] {
  if (!Array.isArray(dates)) {
    throw new BusinessHoursConfigError("Holidays must be a list of YYYY-MM-DD dates.");
  }
  dates.forEach((date, i) => {
    const problem = holidayProblem(date);
    if (problem) {
      throw new BusinessHoursConfigError(
        `Holiday #${i + 1} ${JSON.stringify(date)} is ${problem} (expected YYYY-MM-DD dates separated by commas, e.g. "2026-12-25,2027-01-26").`,
      );
    }
  });
  return [...new Set(dates as string[])].sort();
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A calendar checked once per call and put in the form the day walk uses. */
export interface CompiledCalendar {
  readonly timeZone: string;
  readonly days: ReadonlySet<number>;
  /** Minutes after midnight. */
  readonly open: number;
  readonly close: number;
  readonly holidays: ReadonlySet<string>;
}

function clockMinutes(value: unknown, name: string): number {
  const match = typeof value === "string" ? CLOCK.exec(value) : null;
  if (!match) {
    throw new BusinessHoursConfigError(`Calendar ${name} must be "HH:MM" (24-hour clock).`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

export function compileCalendar(cal: BusinessCalendar): CompiledCalendar {
  if (!Number.isFinite(tzOffset(cal.timeZone, new Date(0)))) {
    throw new BusinessHoursConfigError(`Unknown time zone ${JSON.stringify(cal.timeZone)}.`);
  }
  const days = new Set(cal.days);
  if (days.size === 0 || ![...days].every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
    throw new BusinessHoursConfigError("Calendar days must be ISO weekdays 1–7, at least one.");
  }
  const open = clockMinutes(cal.open, "open");
  const close = clockMinutes(cal.close, "close");
  if (open >= close) {
    throw new BusinessHoursConfigError("Calendar must open before it closes on the same day.");
  }
  return {
    timeZone: cal.timeZone,
    days,
    open,
    close,
    holidays: new Set(normaliseHolidays(cal.holidays)),
  };
}

/**
 * The instant at which the wall clock in `zone` shows `wall` (UTC milliseconds). `offset` is a
 * guess (the last one seen, in minutes): when it holds at the result, one look-up is enough,
 * which is always so in IST and on most days elsewhere.
 */
function fromWall(wall: number, zone: string, offset: number): number {
  const guess = wall - offset * MINUTE_MS;
  if (tzOffset(zone, new Date(guess)) === offset) return guess;
  const first = wall - tzOffset(zone, new Date(wall)) * MINUTE_MS;
  return wall - tzOffset(zone, new Date(first)) * MINUTE_MS;
}

/**
 * The calendar's working windows [open, close) as instants, in order, starting with the one that
 * contains `from` or comes next. Endless: callers stop when they have what they need.
 */
function* windows(from: number, cal: CompiledCalendar): Generator<[open: number, close: number]> {
  let offset = tzOffset(cal.timeZone, new Date(from));
  let midnight = Math.floor((from + offset * MINUTE_MS) / DAY_MS) * DAY_MS;
  // With at least one working weekday, a run of closed days is at most a week per holiday.
  const maxClosedRun = 7 * (cal.holidays.size + 1);
  let closedRun = 0;
  for (;;) {
    const day = new Date(midnight);
    const weekday = day.getUTCDay() || 7;
    if (cal.days.has(weekday) && !cal.holidays.has(day.toISOString().slice(0, 10))) {
      closedRun = 0;
      const closeWall = midnight + cal.close * MINUTE_MS;
      const close = fromWall(closeWall, cal.timeZone, offset);
      offset = (closeWall - close) / MINUTE_MS;
      if (close > from) {
        yield [fromWall(midnight + cal.open * MINUTE_MS, cal.timeZone, offset), close];
      }
    } else if (++closedRun > maxClosedRun) {
      throw new BusinessHoursConfigError("Calendar has no working day left to count.");
    }
    midnight += DAY_MS;
  }
}

export function instantOf(value: Date, name: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid Date.`);
  return ms;
}

export function minutesToMs(minutes: number, name: string): number {
  if (typeof minutes !== "number" || !Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`${name} must be a finite number of minutes, 0 or more.`);
  }
  return Math.round(minutes * MINUTE_MS);
}

/** Milliseconds → minutes (exact: whole input minutes come back whole). */
export function msToMinutes(ms: number): number {
  return ms / MINUTE_MS;
}

/** `addBusinessMinutes` on milliseconds and a compiled calendar. */
export function addBusinessMs(start: number, ms: number, cal: CompiledCalendar): number {
  if (ms === 0) return start;
  let remaining = ms;
  for (const [open, close] of windows(start, cal)) {
    const from = Math.max(open, start);
    if (from + remaining <= close) return from + remaining;
    remaining -= close - from;
  }
  throw new Error("unreachable: the working windows never end");
}

/** `businessMinutesBetween` on milliseconds and a compiled calendar. */
export function businessMsBetween(a: number, b: number, cal: CompiledCalendar): number {
  if (b <= a) return 0;
  let total = 0;
  for (const [open, close] of windows(a, cal)) {
    if (open >= b) break;
    total += Math.min(close, b) - Math.max(open, a);
  }
  return total;
}

/**
 * The instant at which `minutes` of business time have elapsed since `start`: the earliest
 * instant `t` with `businessMinutesBetween(start, t) === minutes`. Outside business hours
 * counting begins at the next opening.
 *
 * A deadline that uses up a day's last minute lands at closing time (18:00), not at the next
 * opening (09:00), although both are the same amount of business time: it is the earliest such
 * instant, so round trips with `businessMinutesBetween` hold, and an unanswered ticket shows as
 * breached that evening, while the team can still see it, rather than at the next opening.
 * By the same rule 0 minutes is `start` itself, even outside hours.
 *
 * Fractions of a minute are kept to the millisecond.
 */
export function addBusinessMinutes(start: Date, minutes: number, cal: BusinessCalendar): Date {
  const from = instantOf(start, "start");
  return new Date(addBusinessMs(from, minutesToMs(minutes, "minutes"), compileCalendar(cal)));
}

/**
 * Business minutes in [a, b): the overlap with working hours, 0 if `b` is not after `a`.
 * Exact to the millisecond, so a start at 10:00:30 gives fractional minutes.
 */
export function businessMinutesBetween(a: Date, b: Date, cal: BusinessCalendar): number {
  const from = instantOf(a, "a");
  const to = instantOf(b, "b");
  return msToMinutes(businessMsBetween(from, to, compileCalendar(cal)));
}
