import { and, asc, eq } from "drizzle-orm";
import {
  batches,
  type ClassSession,
  classSessions,
  courses,
  enrolments,
  users,
} from "../../../db/schema";
import { runAs, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, conflict, notFound, validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { zoomFailureOf } from "../../../providers/zoom";
import { invalidateCoursePage } from "../../catalogue/public";
import type { CreateSessionInput, RescheduleSessionInput } from "../schemas";
import { queueScheduleChange, type Recipient } from "./notify";
import { auditSession, toSessionView } from "./views";

/** What a session's writes need to know about its batch and course. */
interface Placement {
  batchId: string;
  batchName: string;
  batchStatus: string;
  timezone: string;
  courseSlug: string;
  courseTitle: string;
}

const placementColumns = {
  batchId: batches.id,
  batchName: batches.name,
  batchStatus: batches.status,
  timezone: batches.timezone,
  courseSlug: courses.slug,
  courseTitle: courses.title,
};

const CLOSED_BATCH = ["completed", "cancelled"];

function assertFuture(startsAt: string, now = Date.now()) {
  if (Date.parse(startsAt) <= now) {
    throw validationFailed(
      [{ path: "startsAt", message: "Must be in the future" }],
      "A class cannot be scheduled in the past.",
    );
  }
}

/**
 * Schedules a class: the Zoom meeting first (outside any transaction), then the row and its
 * audit in one transaction. If the transaction fails the meeting is deleted again, so there is
 * never a row without a meeting nor a meeting without a row (see `compensate`).
 */
export async function createSession(
  ctx: ServiceContext,
  batchId: string,
  input: CreateSessionInput,
) {
  assertFuture(input.startsAt);
  const [placement] = await runAs(ctx.http, ctx.actor, (q) =>
    q
      .select(placementColumns)
      .from(batches)
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .where(eq(batches.id, batchId))
      .limit(1),
  );
  if (!placement) throw notFound("The batch was not found.");
  assertOpenBatch(placement.batchStatus);

  const id = crypto.randomUUID();
  const meeting = await ctx.zoom.createMeeting({
    topic: input.title,
    startTime: input.startsAt,
    durationMinutes: input.durationMinutes,
    timezone: placement.timezone,
    agenda: `${placement.courseTitle} (${placement.batchName})`,
    idempotencyKey: id,
  });

  let session: ClassSession;
  try {
    session = await runAs(ctx.db, ctx.actor, async (tx) => {
      // Shared lock: the batch cannot be completed or cancelled while this class is added.
      const [batch] = await tx
        .select({ status: batches.status })
        .from(batches)
        .where(eq(batches.id, batchId))
        .for("share")
        .limit(1);
      if (!batch) throw notFound("The batch was not found.");
      assertOpenBatch(batch.status);
      const [created] = await tx
        .insert(classSessions)
        .values({
          id,
          batchId,
          title: input.title,
          startsAt: new Date(input.startsAt),
          durationMinutes: input.durationMinutes,
          zoomMeetingId: meeting.meetingId,
          joinUrl: meeting.joinUrl,
        })
        .returning();
      if (!created) throw new Error("class session insert returned no row");
      await recordAudit(tx, ctx.audit, {
        action: "class_session.create",
        entityType: "class_session",
        entityId: id,
        after: auditSession(created),
      });
      return created;
    });
  } catch (err) {
    throw await compensate(ctx, err, meeting.meetingId, id);
  }
  await invalidateCoursePage(ctx, placement.courseSlug);
  return toSessionView(session);
}

function assertOpenBatch(status: string) {
  if (CLOSED_BATCH.includes(status)) {
    throw conflict(`The batch is ${status}: it takes no new classes.`);
  }
}

/**
 * After the row could not be written: deletes the meeting just created and returns the error to
 * throw. If Zoom refuses the delete too, the meeting is orphaned: the answer becomes a 500 whose
 * cause names the meeting, so the error path puts it in Sentry, the log and error_logs for ops.
 */
async function compensate(
  ctx: ServiceContext,
  original: unknown,
  meetingId: string,
  sessionId: string,
): Promise<unknown> {
  try {
    await ctx.zoom.deleteMeeting(meetingId);
    return original;
  } catch (deleteError) {
    const kind = zoomFailureOf(deleteError)?.kind ?? "unknown";
    const orphan = new Error(
      `ORPHANED ZOOM MEETING ${meetingId}: class session ${sessionId} was not saved and the ` +
        `meeting could not be deleted (zoom ${kind}); delete it in Zoom by hand`,
      { cause: original },
    );
    orphan.name = "OrphanedZoomMeeting";
    return new AppError({
      code: "INTERNAL_ERROR",
      detail: "An unexpected error occurred.",
      cause: orphan,
    });
  }
}

/** A batch's classes in time order, cancelled ones included. */
export async function listBatchSessions(ctx: ServiceContext, batchId: string) {
  const { batch, rows } = await runAs(ctx.http, ctx.actor, async (q) => {
    const [batch] = await q.select({ id: batches.id }).from(batches).where(eq(batches.id, batchId));
    const rows = batch
      ? await q
          .select()
          .from(classSessions)
          .where(eq(classSessions.batchId, batchId))
          .orderBy(asc(classSessions.startsAt), asc(classSessions.id))
      : [];
    return { batch, rows };
  });
  if (!batch) throw notFound("The batch was not found.");
  return { data: rows.map(toSessionView) };
}

async function loadSession(ctx: ServiceContext, id: string) {
  const [found] = await runAs(ctx.http, ctx.actor, (q) =>
    q
      .select({ session: classSessions, ...placementColumns })
      .from(classSessions)
      .innerJoin(batches, eq(batches.id, classSessions.batchId))
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .where(eq(classSessions.id, id))
      .limit(1),
  );
  if (!found) throw notFound("The class was not found.");
  const { session, ...placement } = found;
  return { session, placement: placement as Placement };
}

/** The students to tell about a change: active enrolments of the batch, read in `tx`. */
function activeStudents(tx: Transaction, batchId: string): Promise<Recipient[]> {
  return tx
    .select({ userId: users.id, email: users.email, name: users.fullName })
    .from(enrolments)
    .innerJoin(users, eq(users.id, enrolments.userId))
    .where(and(eq(enrolments.batchId, batchId), eq(enrolments.status, "active")));
}

/** The fields `input` really changes. */
function changesOf(before: ClassSession, input: RescheduleSessionInput) {
  const changes: Partial<Pick<ClassSession, "title" | "startsAt" | "durationMinutes">> = {};
  if (input.title !== undefined && input.title !== before.title) changes.title = input.title;
  if (input.startsAt !== undefined && Date.parse(input.startsAt) !== before.startsAt.getTime()) {
    changes.startsAt = new Date(input.startsAt);
  }
  if (input.durationMinutes !== undefined && input.durationMinutes !== before.durationMinutes) {
    changes.durationMinutes = input.durationMinutes;
  }
  return changes;
}

/**
 * Changes a scheduled class: Zoom first (a failure is a 502 and the row stays as it was), then
 * the row, its audit and an email to each enrolled student (the outbox), in one transaction.
 */
export async function rescheduleSession(
  ctx: ServiceContext,
  id: string,
  input: RescheduleSessionInput,
) {
  const { session: before, placement } = await loadSession(ctx, id);
  if (before.status !== "scheduled") {
    throw conflict(`The class is ${before.status}: it can no longer be rescheduled.`);
  }
  if (input.startsAt !== undefined) assertFuture(input.startsAt);
  const changes = changesOf(before, input);
  if (Object.keys(changes).length === 0) return toSessionView(before);

  await ctx.zoom.updateMeeting(before.zoomMeetingId, {
    topic: changes.title,
    startTime: changes.startsAt?.toISOString(),
    durationMinutes: changes.durationMinutes,
    timezone: changes.startsAt ? placement.timezone : undefined,
  });

  let after: ClassSession;
  try {
    after = await runAs(ctx.db, ctx.actor, async (tx) => {
      const [current] = await tx
        .select()
        .from(classSessions)
        .where(eq(classSessions.id, id))
        .for("update")
        .limit(1);
      if (!current) throw notFound("The class was not found.");
      if (current.status !== "scheduled") {
        throw conflict(`The class is ${current.status}: it can no longer be rescheduled.`);
      }
      // Another change landed between our read and Zoom's update: Zoom may now hold either.
      if (current.updatedAt.getTime() !== before.updatedAt.getTime()) {
        throw conflict("The class changed meanwhile: reload it and try again.");
      }
      const [changed] = await tx
        .update(classSessions)
        .set(changes)
        .where(eq(classSessions.id, id))
        .returning();
      if (!changed) throw notFound("The class was not found.");
      await recordAudit(tx, ctx.audit, {
        action: "class_session.reschedule",
        entityType: "class_session",
        entityId: id,
        before: auditSession(current),
        after: auditSession(changed),
      });
      const recipients = await activeStudents(tx, before.batchId);
      await queueScheduleChange(
        tx,
        ctx,
        recipients,
        { kind: "rescheduled", before: current },
        { placement, session: changed },
      );
      return changed;
    });
  } catch (err) {
    await resyncMeeting(ctx, id, placement.timezone);
    throw err;
  }
  await invalidateCoursePage(ctx, placement.courseSlug);
  return toSessionView(after);
}

/**
 * After a reschedule whose row write failed, Zoom holds a time the row does not: push the row's
 * current state (ours from before, or a concurrent change's) back to Zoom. Best effort: if this
 * fails too, the next reschedule or the class list shows the row's time, which is what counts.
 */
async function resyncMeeting(ctx: ServiceContext, id: string, timezone: string) {
  try {
    const [row] = await runAs(ctx.http, ctx.actor, (q) =>
      q.select().from(classSessions).where(eq(classSessions.id, id)).limit(1),
    );
    if (row?.status !== "scheduled") return;
    await ctx.zoom.updateMeeting(row.zoomMeetingId, {
      topic: row.title,
      startTime: row.startsAt.toISOString(),
      durationMinutes: row.durationMinutes,
      timezone,
    });
  } catch {
    // Already failing: the caller's error is the one to report.
  }
}

/**
 * Cancels a class: Zoom's meeting is deleted (one Zoom no longer knows counts as deleted), then
 * the row becomes `cancelled` (it stays listed as such), audited, and each student's email is
 * queued in the same transaction. Cancelling
 * a cancelled class answers the same again without calling Zoom. An ended class → 409.
 */
export async function cancelSession(ctx: ServiceContext, id: string) {
  const { session: before, placement } = await loadSession(ctx, id);
  if (before.status === "cancelled") return toSessionView(before);
  if (before.status === "ended") throw conflict("The class has ended: it cannot be cancelled.");

  await ctx.zoom.deleteMeeting(before.zoomMeetingId);

  const result = await runAs(ctx.db, ctx.actor, async (tx) => {
    const [current] = await tx
      .select()
      .from(classSessions)
      .where(eq(classSessions.id, id))
      .for("update")
      .limit(1);
    if (!current) throw notFound("The class was not found.");
    // A concurrent cancel got here first: same answer, one audit row, one round of emails.
    if (current.status === "cancelled") return { after: current, changed: false };
    if (current.status === "ended") throw conflict("The class has ended: it cannot be cancelled.");
    const [after] = await tx
      .update(classSessions)
      .set({ status: "cancelled", cancelledAt: new Date() })
      .where(eq(classSessions.id, id))
      .returning();
    if (!after) throw notFound("The class was not found.");
    await recordAudit(tx, ctx.audit, {
      action: "class_session.cancel",
      entityType: "class_session",
      entityId: id,
      before: auditSession(current),
      after: auditSession(after),
    });
    const recipients = await activeStudents(tx, current.batchId);
    await queueScheduleChange(
      tx,
      ctx,
      recipients,
      { kind: "cancelled" },
      { placement, session: after },
    );
    return { after, changed: true };
  });
  if (result.changed) await invalidateCoursePage(ctx, placement.courseSlug);
  return toSessionView(result.after);
}

export type { Placement };
