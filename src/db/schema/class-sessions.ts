import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { batches } from "./batches";
import { timestamps, tz } from "./columns";

/**
 * `scheduled` until Zoom says the meeting started; `live` between `meeting.started` and
 * `meeting.ended`; `ended` after; `cancelled` by an admin (the row stays, shown as cancelled).
 */
export const classSessionStatuses = ["scheduled", "live", "ended", "cancelled"] as const;
export type ClassSessionStatus = (typeof classSessionStatuses)[number];

/**
 * A live class of a batch, held as a Zoom meeting. ("sessions" are login sessions.) A row
 * exists only with its meeting: the service creates the meeting first and deletes it again if
 * the row cannot be written. The host's start URL is never stored: it logs in as the host.
 */
export const classSessions = pgTable(
  "class_sessions",
  {
    id: uuid().primaryKey().defaultRandom(),
    batchId: uuid("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "restrict" }),
    title: text().notNull(),
    startsAt: timestamp("starts_at", tz).notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    status: text({ enum: classSessionStatuses }).notNull().default("scheduled"),
    /** Zoom's meeting id (digits); unique, how webhooks find the session. */
    zoomMeetingId: text("zoom_meeting_id").notNull().unique("class_sessions_zoom_meeting_key"),
    /** Given to enrolled students only, from 15 minutes before the start until the end. */
    joinUrl: text("join_url").notNull(),
    /** From Zoom's meeting.started / meeting.ended. */
    startedAt: timestamp("started_at", tz),
    endedAt: timestamp("ended_at", tz),
    cancelledAt: timestamp("cancelled_at", tz),
    ...timestamps,
  },
  (t) => [
    check(
      "class_sessions_status_check",
      sql`${t.status} in ('scheduled', 'live', 'ended', 'cancelled')`,
    ),
    check("class_sessions_duration_check", sql`${t.durationMinutes} between 1 and 1440`),
    // A batch's sessions in time order (admin lists, next session, schedules).
    index("class_sessions_batch_starts_idx").on(t.batchId, t.startsAt, t.id),
  ],
);

export type ClassSession = typeof classSessions.$inferSelect;
export type NewClassSession = typeof classSessions.$inferInsert;
