import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { classSessions } from "./class-sessions";
import { tz } from "./columns";
import { users } from "./users";

/**
 * One stretch of one participant in one class session, from Zoom's participant_joined to its
 * participant_left (open until then). A student who drops and rejoins has several rows; the
 * attended time is the length of their union (SQL function `session_attendance`), so overlapping
 * or repeated events never count twice. Participants whose email matches no enrolled student
 * keep `user_id` null: kept apart, never credited to anyone.
 */
export const attendanceIntervals = pgTable(
  "attendance_intervals",
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => classSessions.id, { onDelete: "restrict" }),
    /** The enrolled student matched by email, or null for an unknown participant. */
    userId: uuid("user_id").references(() => users.id, { onDelete: "restrict" }),
    /** Zoom's participant identity within the meeting (participant_uuid, else user_id, else email). */
    participantKey: text("participant_key").notNull(),
    email: text(),
    displayName: text("display_name"),
    joinedAt: timestamp("joined_at", tz).notNull(),
    leftAt: timestamp("left_at", tz),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [
    check(
      "attendance_intervals_order_check",
      sql`${t.leftAt} is null or ${t.leftAt} >= ${t.joinedAt}`,
    ),
    // Closing a participant's open interval; a session's attendance.
    index("attendance_intervals_session_participant_idx").on(
      t.sessionId,
      t.participantKey,
      t.joinedAt,
    ),
    // A student's attendance across sessions (roster, certificates).
    index("attendance_intervals_user_session_idx").on(t.userId, t.sessionId),
  ],
);

export type AttendanceInterval = typeof attendanceIntervals.$inferSelect;
