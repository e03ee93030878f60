/**
 * Business-hours arithmetic for support-ticket SLAs (pure: no routes, no database).
 *
 * - `calendar.ts`: the calendar (IST, Monday–Saturday 09:00–18:00, less holidays),
 *   `addBusinessMinutes` and `businessMinutesBetween`.
 * - `sla.ts`: targets per priority, the clock over a ticket's status timeline (stopped while
 *   `pending`), `dueAt` / `atRiskAt` for a scheduled job and `slaState`.
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
export {
  type AtRiskPolicy,
  atRiskAt,
  atRiskThreshold,
  DEFAULT_AT_RISK,
  DEFAULT_PAUSED_STATUSES,
  dueAt,
  elapsedBusinessMinutes,
  MAX_TARGET_MINUTES,
  parseSlaTargets,
  SLA_TARGETS,
  type SlaState,
  type SlaTarget,
  type SlaTargets,
  type StatusEvent,
  slaState,
  TICKET_PRIORITIES,
  type TicketPriority,
} from "./sla";
