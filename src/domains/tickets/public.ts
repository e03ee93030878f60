/** What other parts of the app (the scheduled jobs) may call. */
export { autoCloseSolved, markSlaBreaches } from "./service/jobs";
