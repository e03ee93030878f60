/** What other domains (and jobs) may use of enrolments. */
export { expireHoldsBatch } from "./service/expiry";
export { countSeatsAsCaller, HOLD_MINUTES, lockBatchSeats } from "./service/seats";
export { auditEnrolment } from "./service/views";
