/**
 * India Standard Time arithmetic. IST is UTC+05:30 all year (India keeps no daylight saving),
 * so a fixed offset is exact here; calendars with holidays use the business-hours module.
 */
const IST_OFFSET_MS = 330 * 60_000;

/** Wall-clock hour and minute in IST. */
export function istClock(at: Date): { hour: number; minute: number } {
  const shifted = new Date(at.getTime() + IST_OFFSET_MS);
  return { hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes() };
}

/** The instant it is `hour`:00 IST on the IST calendar day of `at`, plus `days`. */
export function istAt(at: Date, hour: number, days = 0): Date {
  const shifted = new Date(at.getTime() + IST_OFFSET_MS);
  const midnightIst = Date.UTC(
    shifted.getUTCFullYear(),
    shifted.getUTCMonth(),
    shifted.getUTCDate() + days,
  );
  return new Date(midnightIst + hour * 3_600_000 - IST_OFFSET_MS);
}

/** Quiet hours: 21:00 to 09:00 IST. Nothing that is not transactional goes out then. */
export const QUIET_START_HOUR = 21;
export const QUIET_END_HOUR = 9;

/** When a non-transactional message may go out: `at` itself, or the next 09:00 IST. */
export function afterQuietHours(at: Date): Date {
  const { hour } = istClock(at);
  if (hour >= QUIET_END_HOUR && hour < QUIET_START_HOUR) return at;
  return istAt(at, QUIET_END_HOUR, hour >= QUIET_START_HOUR ? 1 : 0);
}

/** WhatsApp's customer-service window: free text only within 24 h of the last inbound message. */
export const WHATSAPP_WINDOW_MS = 24 * 3_600_000;

export function whatsappWindowOpen(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < WHATSAPP_WINDOW_MS;
}
