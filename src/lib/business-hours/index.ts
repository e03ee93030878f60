/**
 * Business-hours arithmetic for support-ticket SLAs (pure: no routes, no database).
 *
 * - `calendar.ts`: the calendar (IST, Monday–Saturday 09:00–18:00, less holidays),
 *   `addBusinessMinutes` and `businessMinutesBetween`.
 */
export {
  addBusinessMinutes,
  BUSINESS_DAY_MINUTES,
  type BusinessCalendar,
  BusinessHoursConfigError,
  businessMinutesBetween,
  defaultCalendar,
  parseHolidays,
} from "./calendar";
