/**
 * Learning factories: enrolments, class sessions and attendance intervals inserted straight
 * into the file's database (as the superuser, so any state can be set up).
 */
import { adminQuery } from "./database";

const MINUTE = 60_000;

export async function insertEnrolment(
  database: string,
  userId: string,
  batchId: string,
  overrides: Partial<{
    status: "pending_payment" | "active" | "cancelled" | "expired";
    pricePaise: number;
    holdExpiresAt: Date | null;
    source: "self" | "admin_grant";
  }> = {},
): Promise<{ id: string }> {
  const status = overrides.status ?? "active";
  const hold =
    overrides.holdExpiresAt !== undefined
      ? overrides.holdExpiresAt
      : status === "pending_payment"
        ? new Date(Date.now() + 30 * MINUTE)
        : null;
  const [row] = await adminQuery<{ id: string }>(
    `INSERT INTO enrolments (user_id, batch_id, status, source, price_paise, hold_expires_at,
                             activated_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'active' THEN now() END) RETURNING id`,
    [userId, batchId, status, overrides.source ?? "self", overrides.pricePaise ?? 0, hold],
    database,
  );
  if (!row) throw new Error("enrolment insert failed");
  return row;
}

let meeting = 9_000_000_000;

export async function insertSession(
  database: string,
  batchId: string,
  overrides: Partial<{
    title: string;
    startsAt: Date;
    durationMinutes: number;
    status: "scheduled" | "live" | "ended" | "cancelled";
    startedAt: Date | null;
    endedAt: Date | null;
    zoomMeetingId: string;
    joinUrl: string;
  }> = {},
): Promise<{ id: string; zoomMeetingId: string }> {
  const zoomMeetingId =
    overrides.zoomMeetingId ?? String(++meeting + Math.floor(Math.random() * 1e6) * 1000);
  const [row] = await adminQuery<{ id: string; zoomMeetingId: string }>(
    `INSERT INTO class_sessions (batch_id, title, starts_at, duration_minutes, status,
                                 zoom_meeting_id, join_url, started_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     RETURNING id, zoom_meeting_id AS "zoomMeetingId"`,
    [
      batchId,
      overrides.title ?? "Kinematics",
      overrides.startsAt ?? new Date(Date.now() + 24 * 60 * MINUTE),
      overrides.durationMinutes ?? 60,
      overrides.status ?? "scheduled",
      zoomMeetingId,
      overrides.joinUrl ?? `https://zoom.example/j/${zoomMeetingId}?pwd=secret`,
      overrides.startedAt ?? null,
      overrides.endedAt ?? null,
    ],
    database,
  );
  if (!row) throw new Error("session insert failed");
  return row;
}

export async function insertInterval(
  database: string,
  sessionId: string,
  userId: string | null,
  joinedAt: Date,
  leftAt: Date | null,
  participantKey = userId ?? "unknown",
): Promise<void> {
  await adminQuery(
    `INSERT INTO attendance_intervals (session_id, user_id, participant_key, joined_at, left_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [sessionId, userId, participantKey, joinedAt, leftAt],
    database,
  );
}
