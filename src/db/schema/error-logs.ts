import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const errorSeverities = ["warning", "error", "fatal"] as const;
export type ErrorSeverity = (typeof errorSeverities)[number];

/** Server faults (5xx), written off the request path; read by admins, pruned by retention. */
export const errorLogs = pgTable(
  "error_logs",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    severity: text({ enum: errorSeverities }).notNull(),
    code: text().notNull(),
    status: integer().notNull(),
    message: text().notNull(),
    stack: text(),
    route: text(),
    method: text(),
    path: text(),
    requestId: text("request_id"),
    userId: text("user_id"),
    userAgent: text("user_agent"),
  },
  (t) => [
    check("error_logs_severity_check", sql`${t.severity} in ('warning', 'error', 'fatal')`),
    // Admin list newest first, time-range filters and retention deletes.
    index("error_logs_occurred_at_idx").on(t.occurredAt.desc(), t.id.desc()),
    // Filter by code (and stats grouped by code) within a time window.
    index("error_logs_code_occurred_at_idx").on(t.code, t.occurredAt.desc()),
    // Filter by severity within a time window.
    index("error_logs_severity_occurred_at_idx").on(t.severity, t.occurredAt.desc()),
    // Support looks a report up by the requestId a user quotes.
    index("error_logs_request_id_idx").on(t.requestId),
  ],
);

export type ErrorLog = typeof errorLogs.$inferSelect;
export type NewErrorLog = typeof errorLogs.$inferInsert;
