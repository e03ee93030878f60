/**
 * Marketing (non-transactional) messages wait out 21:00–09:00 IST, as TRAI's rules for
 * promotional messages ask. IST has no daylight saving, so a fixed +05:30 is exact.
 */
export const QUIET_HOURS = { start: 21, end: 9, timeZone: "Asia/Kolkata" } as const;

const OFFSET_MS = (5 * 60 + 30) * 60_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const mod = (a: number, b: number) => ((a % b) + b) % b;

export function isQuietHours(at: Date): boolean {
  const hour = Math.floor(mod(at.getTime() + OFFSET_MS, DAY_MS) / HOUR_MS);
  return hour >= QUIET_HOURS.start || hour < QUIET_HOURS.end;
}

/** When a message of this template may go out: now, or 09:00 IST next if it must wait. */
export function earliestSendAt(template: { transactional: boolean }, now: Date): Date {
  if (template.transactional || !isQuietHours(now)) return now;
  const local = now.getTime() + OFFSET_MS;
  let opens = local - mod(local, DAY_MS) + QUIET_HOURS.end * HOUR_MS;
  if (opens <= local) opens += DAY_MS;
  return new Date(opens - OFFSET_MS);
}
