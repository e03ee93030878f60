/**
 * What a verified Zoom event does to the database: the dedup row and the effect in ONE
 * transaction on the request path, as `system`. Either both commit or neither does, so a
 * delivery that fails half-way is retried by Zoom and applied then; a retry of one that
 * committed finds its dedup row and changes nothing.
 *
 * Why not "dedup row now, effect in waitUntil": if the background work failed after the dedup
 * row committed, Zoom's retry would be swallowed as a duplicate and the event lost. The effect
 * is a handful of statements on one connection (well inside Zoom's 3 s); waitUntil is left for
 * slow work that is safe to retry on its own (copying recording files before the download
 * token expires, emails), none of which this issue needs.
 *
 * Serialisation: participant events share-lock the session row and take an advisory lock per
 * (session, participant), so a class joining at once runs in parallel while two events of one
 * participant run one after the other; meeting.ended locks the session row exclusively, so it
 * closes intervals only after the joins in flight committed.
 */
import { and, desc, eq, isNull, lte, sql } from "drizzle-orm";
import {
  attendanceIntervals,
  type ClassSession,
  classSessions,
  enrolments,
  type RecordingFile,
  recordings,
  users,
  webhookEvents,
} from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import type { Logger } from "../../../lib/logger";
import type { ServiceContext } from "../../../lib/service-context";
import type {
  ZoomMeetingEnded,
  ZoomMeetingStarted,
  ZoomParticipantJoined,
  ZoomParticipantLeft,
  ZoomRecordingCompleted,
} from "../../../providers/zoom";
import {
  meetingInstanceOf,
  type Participant,
  participantKeyOf,
  type ZoomEvent,
  zoomEventKey,
} from "./event-key";

export type ZoomEventOutcome =
  /** The event changed something (or was recorded with nothing left to change). */
  | "applied"
  /** Seen before: a retry or a duplicate delivery. Nothing changed. */
  | "duplicate"
  /** No session has this meeting id: answered 2xx so Zoom stops retrying. */
  | "unknown_meeting"
  /** The session was cancelled: its events are ignored. */
  | "cancelled_session";

export async function applyZoomEvent(
  ctx: ServiceContext,
  event: ZoomEvent,
  logger: Logger,
): Promise<ZoomEventOutcome> {
  const eventKey = await zoomEventKey(event);
  const outcome = await runAs(ctx.db, SYSTEM, async (tx) => {
    const fresh = await tx
      .insert(webhookEvents)
      .values({ provider: "zoom", eventKey, event: event.event })
      .onConflictDoNothing()
      .returning({ eventKey: webhookEvents.eventKey });
    if (fresh.length === 0) return "duplicate" as const;

    const participantEvent =
      event.event === "meeting.participant_joined" || event.event === "meeting.participant_left";
    const session = await lockSession(tx, event.payload.object.id, participantEvent);
    // The dedup row still commits: the same delivery is not looked at again.
    if (!session) return "unknown_meeting" as const;
    if (session.status === "cancelled") return "cancelled_session" as const;

    switch (event.event) {
      case "meeting.started":
        await meetingStarted(tx, session, event);
        break;
      case "meeting.ended":
        await meetingEnded(tx, session, event);
        break;
      case "meeting.participant_joined":
        await participantJoined(tx, session, event);
        break;
      case "meeting.participant_left":
        await participantLeft(tx, session, event);
        break;
      case "recording.completed":
        await recordingCompleted(tx, session, event);
        break;
    }
    return "applied" as const;
  });
  const fields = { event: event.event, meetingId: event.payload.object.id, outcome };
  if (outcome === "unknown_meeting" || outcome === "cancelled_session") {
    logger.info("zoom event ignored", fields);
  } else {
    logger.debug("zoom event", fields);
  }
  return outcome;
}

async function lockSession(
  tx: Transaction,
  meetingId: string,
  shared: boolean,
): Promise<ClassSession | undefined> {
  const [row] = await tx
    .select()
    .from(classSessions)
    .where(eq(classSessions.zoomMeetingId, meetingId))
    .for(shared ? "share" : "update")
    .limit(1);
  return row;
}

/** An ISO instant from Zoom, else the event's own time (event_ts, ms). */
function instant(value: string | undefined, fallbackMs: number): Date {
  const ms = value ? Date.parse(value) : Number.NaN;
  return new Date(Number.isNaN(ms) ? fallbackMs : ms);
}

async function meetingStarted(tx: Transaction, session: ClassSession, event: ZoomMeetingStarted) {
  const startedAt = instant(event.payload.object.start_time, event.event_ts);
  // A late `started` after the end only fills in the start time: the guard forbids ended → live.
  await tx
    .update(classSessions)
    .set({
      status: session.status === "scheduled" ? "live" : session.status,
      startedAt: session.startedAt ?? startedAt,
      updatedAt: sql`now()`,
    })
    .where(eq(classSessions.id, session.id));
}

async function meetingEnded(tx: Transaction, session: ClassSession, event: ZoomMeetingEnded) {
  const object = event.payload.object;
  if (session.status === "ended") return;
  const endedAt = instant(object.end_time, event.event_ts);
  // A missed `meeting.started`: the meeting's own start time stands in.
  const startedAt = session.startedAt ?? instant(object.start_time, endedAt.getTime());
  await tx
    .update(classSessions)
    .set({
      status: "ended",
      endedAt,
      startedAt: new Date(Math.min(startedAt.getTime(), endedAt.getTime())),
      updatedAt: sql`now()`,
    })
    .where(eq(classSessions.id, session.id));
  await tx
    .update(attendanceIntervals)
    .set({
      leftAt: sql`greatest(${attendanceIntervals.joinedAt}, ${endedAt.toISOString()}::timestamptz)`,
    })
    .where(and(eq(attendanceIntervals.sessionId, session.id), isNull(attendanceIntervals.leftAt)));
}

/** Serialises the events of one participant in one session (released at commit). */
async function lockParticipant(tx: Transaction, sessionId: string, key: string) {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`attendance:${sessionId}:${key}`}, 0))`,
  );
}

/** The user an email belongs to, if they hold an ACTIVE enrolment in the batch; else null. */
async function enrolledUser(tx: Transaction, batchId: string, email: string | undefined) {
  if (!email) return null;
  const [row] = await tx
    .select({ id: users.id })
    .from(users)
    .innerJoin(enrolments, eq(enrolments.userId, users.id))
    .where(
      and(eq(users.email, email), eq(enrolments.batchId, batchId), eq(enrolments.status, "active")),
    )
    .limit(1);
  return row?.id ?? null;
}

const identity = (p: Participant) => ({
  email: p.email ?? null,
  displayName: p.user_name?.trim() ? p.user_name.trim().slice(0, 200) : null,
});

/**
 * Opens an interval, unless one is open already (a second `joined` without a `left` between:
 * the first stays, nothing double counts). A join that arrives after its own `left` (retries
 * make delivery out of order) completes the zero-length interval that `left` left behind.
 */
async function participantJoined(
  tx: Transaction,
  session: ClassSession,
  event: ZoomParticipantJoined,
) {
  const p = event.payload.object.participant;
  const key = participantKeyOf(p);
  const joinedAt = instant(p.join_time, event.event_ts);
  await lockParticipant(tx, session.id, key);
  const mine = and(
    eq(attendanceIntervals.sessionId, session.id),
    eq(attendanceIntervals.participantKey, key),
  );
  const [open] = await tx
    .select({ id: attendanceIntervals.id })
    .from(attendanceIntervals)
    .where(and(mine, isNull(attendanceIntervals.leftAt)))
    .limit(1);
  if (open) return;
  const [orphan] = await tx
    .select({ id: attendanceIntervals.id })
    .from(attendanceIntervals)
    .where(
      and(
        mine,
        sql`${attendanceIntervals.leftAt} = ${attendanceIntervals.joinedAt}`,
        sql`${attendanceIntervals.leftAt} >= ${joinedAt.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(attendanceIntervals.joinedAt)
    .limit(1);
  if (orphan) {
    await tx
      .update(attendanceIntervals)
      .set({ joinedAt })
      .where(eq(attendanceIntervals.id, orphan.id));
    return;
  }
  await tx.insert(attendanceIntervals).values({
    sessionId: session.id,
    userId: await enrolledUser(tx, session.batchId, p.email),
    participantKey: key,
    ...identity(p),
    joinedAt,
  });
}

/**
 * Closes the participant's latest open interval that began by the leave time. Without one:
 * - if the latest interval was closed by meeting.ended and spans the leave time, it ends at
 *   the leave time instead (the `left` was delivered after the end);
 * - otherwise its `joined` has not arrived (out of order) or was lost: a zero-length interval
 *   [leave, leave] records it, crediting nothing until the `joined` completes it. Crediting from
 *   the session's start instead could give a student who joined at minute 55 the whole class.
 */
async function participantLeft(tx: Transaction, session: ClassSession, event: ZoomParticipantLeft) {
  const p = event.payload.object.participant;
  const key = participantKeyOf(p);
  const leftAt = instant(p.leave_time, event.event_ts);
  await lockParticipant(tx, session.id, key);
  const mine = and(
    eq(attendanceIntervals.sessionId, session.id),
    eq(attendanceIntervals.participantKey, key),
  );
  const [open] = await tx
    .select({ id: attendanceIntervals.id })
    .from(attendanceIntervals)
    .where(and(mine, isNull(attendanceIntervals.leftAt), lte(attendanceIntervals.joinedAt, leftAt)))
    .orderBy(desc(attendanceIntervals.joinedAt))
    .limit(1);
  if (open) {
    await tx.update(attendanceIntervals).set({ leftAt }).where(eq(attendanceIntervals.id, open.id));
    return;
  }
  if (session.endedAt) {
    const [closedByEnd] = await tx
      .select({ id: attendanceIntervals.id })
      .from(attendanceIntervals)
      .where(
        and(
          mine,
          eq(attendanceIntervals.leftAt, session.endedAt),
          lte(attendanceIntervals.joinedAt, leftAt),
          sql`${attendanceIntervals.leftAt} > ${leftAt.toISOString()}::timestamptz`,
        ),
      )
      .orderBy(desc(attendanceIntervals.joinedAt))
      .limit(1);
    if (closedByEnd) {
      await tx
        .update(attendanceIntervals)
        .set({ leftAt })
        .where(eq(attendanceIntervals.id, closedByEnd.id));
      return;
    }
  }
  await tx.insert(attendanceIntervals).values({
    sessionId: session.id,
    userId: await enrolledUser(tx, session.batchId, p.email),
    participantKey: key,
    ...identity(p),
    joinedAt: leftAt,
    leftAt,
  });
}

/** Query parameters that grant access by themselves: never stored. */
const TOKEN_PARAM = /token/i;

/** A URL without access tokens in its query (a share URL's `pwd` passcode stays). */
export function withoutTokens(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  for (const name of [...parsed.searchParams.keys()]) {
    if (TOKEN_PARAM.test(name)) parsed.searchParams.delete(name);
  }
  return parsed.toString();
}

/**
 * Upserts the recording of this meeting instance. Stores what students need to play it;
 * never `download_token` nor `download_url` (which works with that token).
 */
async function recordingCompleted(
  tx: Transaction,
  session: ClassSession,
  event: ZoomRecordingCompleted,
) {
  const object = event.payload.object;
  const files: RecordingFile[] = object.recording_files.map((f, i) => {
    const file: RecordingFile = { id: f.id ?? `${f.file_type}-${i + 1}`, fileType: f.file_type };
    if (f.recording_type) file.recordingType = f.recording_type;
    if (f.file_size !== undefined) file.fileSizeBytes = f.file_size;
    if (f.recording_start) file.startedAt = instant(f.recording_start, 0).toISOString();
    if (f.recording_end) file.endedAt = instant(f.recording_end, 0).toISOString();
    const playUrl = withoutTokens(f.play_url);
    if (playUrl) file.playUrl = playUrl;
    return file;
  });
  const startedAt = object.start_time ? instant(object.start_time, event.event_ts) : null;
  const values = {
    title: object.topic?.slice(0, 300) ?? null,
    startedAt,
    durationMinutes:
      object.duration !== undefined && Number.isFinite(object.duration)
        ? Math.max(0, Math.round(object.duration))
        : null,
    playUrl: withoutTokens(object.share_url) ?? null,
    files,
  };
  await tx
    .insert(recordings)
    .values({ sessionId: session.id, zoomMeetingUuid: meetingInstanceOf(object), ...values })
    .onConflictDoUpdate({ target: recordings.zoomMeetingUuid, set: values });
}
