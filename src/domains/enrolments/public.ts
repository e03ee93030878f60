/** What other domains (and jobs) may use of enrolments. */
export { expireHoldsBatch } from "./service/expiry";
export { HOLD_MINUTES } from "./service/seats";
