export * from "./error-logs";
