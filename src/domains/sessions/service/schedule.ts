import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import { batches, classSessions, courses, enrolments } from "../../../db/schema";
import { type DbActor, runAs } from "../../../db/transaction";
import { AppError, notFound, validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import {
  SCHEDULE_DEFAULT_AHEAD_DAYS,
  SCHEDULE_DEFAULT_PAST_DAYS,
  SCHEDULE_MAX_SPAN_DAYS,
  type ScheduleEntry,
  type ScheduleInput,
} from "../schemas";
import { endsAt, isJoinable, joinWindow } from "./views";

const DAY = 86_400_000;
/** A 180-day window of daily classes in a few batches stays far below this. */
const MAX_ENTRIES = 2_000;

export interface ScheduleRow {
  id: string;
  title: string;
  startsAt: Date;
  durationMinutes: number;
  status: ScheduleEntry["status"];
  endedAt: Date | null;
  updatedAt: Date;
  batchId: string;
  batchName: string | null;
  timezone: string | null;
  courseId: string | null;
  courseSlug: string | null;
  courseTitle: string | null;
}

/** Only the user's own active enrolments (RLS says the same for students; admins see all). */
const activeEnrolmentOf = (userId: string) =>
  sql`exists (select 1 from ${enrolments} where ${enrolments.batchId} = ${classSessions.batchId}
      and ${enrolments.userId} = ${userId} and ${enrolments.status} = 'active')`;

/**
 * The classes of `actor`'s active enrolments that overlap [from, to), in time order, read in
 * the actor's own RLS context. Batch and course come by left join: a batch or course that is no
 * longer public leaves its names out, not the class.
 */
export function scheduleRows(
  ctx: ServiceContext,
  actor: DbActor & { userId: string },
  from: Date,
  to: Date,
): Promise<ScheduleRow[]> {
  return runAs(ctx.http, actor, (q) =>
    q
      .select({
        id: classSessions.id,
        title: classSessions.title,
        startsAt: classSessions.startsAt,
        durationMinutes: classSessions.durationMinutes,
        status: classSessions.status,
        endedAt: classSessions.endedAt,
        updatedAt: classSessions.updatedAt,
        batchId: classSessions.batchId,
        batchName: batches.name,
        timezone: batches.timezone,
        courseId: courses.id,
        courseSlug: courses.slug,
        courseTitle: courses.title,
      })
      .from(classSessions)
      .leftJoin(batches, eq(batches.id, classSessions.batchId))
      .leftJoin(courses, eq(courses.id, batches.courseId))
      .where(
        and(
          activeEnrolmentOf(actor.userId),
          lt(classSessions.startsAt, to),
          gt(
            sql`${classSessions.startsAt} + make_interval(mins => ${classSessions.durationMinutes})`,
            from,
          ),
        ),
      )
      .orderBy(asc(classSessions.startsAt), asc(classSessions.id))
      .limit(MAX_ENTRIES),
  );
}

/** The window asked for, defaults filled in; 400 when it is reversed or longer than allowed. */
export function scheduleWindow(input: ScheduleInput, now = Date.now()) {
  const from = input.from
    ? new Date(input.from)
    : input.to
      ? new Date(
          Date.parse(input.to) - (SCHEDULE_DEFAULT_PAST_DAYS + SCHEDULE_DEFAULT_AHEAD_DAYS) * DAY,
        )
      : new Date(now - SCHEDULE_DEFAULT_PAST_DAYS * DAY);
  const to = input.to
    ? new Date(input.to)
    : new Date(
        input.from
          ? from.getTime() + (SCHEDULE_DEFAULT_PAST_DAYS + SCHEDULE_DEFAULT_AHEAD_DAYS) * DAY
          : now + SCHEDULE_DEFAULT_AHEAD_DAYS * DAY,
      );
  if (to.getTime() <= from.getTime()) {
    throw validationFailed([{ path: "to", message: "Must be after from" }]);
  }
  if (to.getTime() - from.getTime() > SCHEDULE_MAX_SPAN_DAYS * DAY) {
    throw validationFailed([
      { path: "to", message: `At most ${SCHEDULE_MAX_SPAN_DAYS} days after from` },
    ]);
  }
  return { from, to };
}

export function toScheduleEntry(r: ScheduleRow, now: number): ScheduleEntry {
  return {
    id: r.id,
    title: r.title,
    startsAt: r.startsAt.toISOString(),
    endsAt: endsAt(r).toISOString(),
    status: r.status,
    timezone: r.timezone ?? "Asia/Kolkata",
    batch: { id: r.batchId, name: r.batchName },
    course:
      r.courseId && r.courseSlug && r.courseTitle
        ? { id: r.courseId, slug: r.courseSlug, title: r.courseTitle }
        : null,
    joinable: isJoinable(r, now),
  };
}

/** `GET /v1/me/schedule`: the signed-in user's classes (never a join URL). */
export async function mySchedule(ctx: ServiceContext, input: ScheduleInput) {
  const userId = ctx.actor.userId;
  if (!userId) throw notFound();
  const { from, to } = scheduleWindow(input);
  const rows = await scheduleRows(ctx, { userId, role: ctx.actor.role }, from, to);
  const now = Date.now();
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    data: rows.map((r) => toScheduleEntry(r, now)),
  };
}

const NOT_FOUND = "The class was not found.";

/**
 * `GET /v1/sessions/{id}/join`. A student gets the URL only with an active enrolment in the
 * class's batch and only inside the join window; without such an enrolment, or for a cancelled
 * class, the answer is the same 404 as for an id that never existed. An enrolled student
 * outside the window gets 409 with the window (they may know the class exists). Admins get the
 * URL of any class that is not cancelled or ended, at any time.
 */
export async function joinSession(ctx: ServiceContext, id: string) {
  const userId = ctx.actor.userId;
  if (!userId) throw notFound(NOT_FOUND);
  const admin = ctx.actor.role === "admin" || ctx.actor.role === "super_admin";
  const [session] = await runAs(ctx.http, ctx.actor, (q) =>
    q
      .select({
        id: classSessions.id,
        startsAt: classSessions.startsAt,
        durationMinutes: classSessions.durationMinutes,
        status: classSessions.status,
        endedAt: classSessions.endedAt,
        joinUrl: classSessions.joinUrl,
      })
      .from(classSessions)
      .where(and(eq(classSessions.id, id), admin ? undefined : activeEnrolmentOf(userId)))
      .limit(1),
  );
  if (!session) throw notFound(NOT_FOUND);
  const window = joinWindow(session);
  const view = {
    sessionId: session.id,
    joinUrl: session.joinUrl,
    opensAt: window.opensAt.toISOString(),
    closesAt: window.closesAt?.toISOString() ?? null,
  };
  if (admin) {
    if (session.status === "cancelled" || session.status === "ended") {
      throw new AppError({ code: "CONFLICT", detail: `The class is ${session.status}.` });
    }
    return view;
  }
  if (session.status === "cancelled") throw notFound(NOT_FOUND);
  if (!isJoinable(session, Date.now())) {
    const early = Date.now() < window.opensAt.getTime();
    throw new AppError({
      code: "CONFLICT",
      detail: early
        ? "The class is not open yet: you can join from 15 minutes before the start."
        : "The class has ended.",
      extensions: { opensAt: view.opensAt, closesAt: view.closesAt },
    });
  }
  return view;
}
