import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { classSessions } from "./class-sessions";
import { tz } from "./columns";

/** One file of a cloud recording, as Zoom describes it (no download token is ever stored). */
export interface RecordingFile {
  id: string;
  fileType: string;
  recordingType?: string;
  fileSizeBytes?: number;
  startedAt?: string;
  endedAt?: string;
  playUrl?: string;
}

/**
 * A cloud recording of one meeting instance (Zoom's meeting UUID), from `recording.completed`.
 * Shown only to students with an active enrolment in the session's batch.
 */
export const recordings = pgTable(
  "recordings",
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => classSessions.id, { onDelete: "restrict" }),
    /** Zoom's meeting instance UUID: a redelivered event updates, never duplicates. */
    zoomMeetingUuid: text("zoom_meeting_uuid").notNull().unique("recordings_zoom_uuid_key"),
    title: text(),
    startedAt: timestamp("started_at", tz),
    durationMinutes: integer("duration_minutes"),
    /** Zoom's share (play) page for the whole recording. */
    playUrl: text("play_url"),
    files: jsonb().$type<RecordingFile[]>().notNull().default([]),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [index("recordings_session_idx").on(t.sessionId, t.startedAt, t.id)],
);

export type Recording = typeof recordings.$inferSelect;
