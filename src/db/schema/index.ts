export * from "./admin-requests";
export * from "./audit-logs";
export * from "./email-outbox";
export * from "./error-logs";
export * from "./one-time-tokens";
export * from "./rate-limit-counters";
export * from "./sessions";
export * from "./users";
