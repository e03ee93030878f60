/**
 * Recordings for students (an ACTIVE enrolment in the session's batch) and admins (any). Both
 * run as the caller: RLS (recordings_enrolled_select) decides, and the queries say the same
 * thing again, so an admin's own list is still only their own enrolments.
 */
import { and, eq, exists, getTableColumns, type SQL, sql } from "drizzle-orm";
import {
  batches,
  classSessions,
  courses,
  enrolments,
  type Recording,
  recordings,
} from "../../../db/schema";
import { type Reader, runAs } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { RecordingView } from "../schemas";

const NOT_FOUND = "The recording was not found.";

/** An active enrolment of `userId` in the recording's batch. */
const enrolledIn = (q: Reader, userId: string): SQL =>
  exists(
    q
      .select({ one: sql`1` })
      .from(enrolments)
      .where(
        and(
          eq(enrolments.batchId, classSessions.batchId),
          eq(enrolments.userId, userId),
          eq(enrolments.status, "active"),
        ),
      ),
  );

const columns = {
  ...getTableColumns(recordings),
  sessionTitle: classSessions.title,
  sessionStartsAt: classSessions.startsAt,
  batchId: classSessions.batchId,
  batchName: batches.name,
  courseId: courses.id,
  courseTitle: courses.title,
};

type Row = Recording & {
  sessionTitle: string;
  sessionStartsAt: Date;
  batchId: string;
  batchName: string | null;
  courseId: string | null;
  courseTitle: string | null;
};

// Batch and course names come through the catalogue's own RLS (public batches of published
// courses): left joins, so a recording never disappears with its course's visibility.
const from = (q: Reader) =>
  q
    .select(columns)
    .from(recordings)
    .innerJoin(classSessions, eq(classSessions.id, recordings.sessionId))
    .leftJoin(batches, eq(batches.id, classSessions.batchId))
    .leftJoin(courses, eq(courses.id, batches.courseId));

function toView(r: Row): RecordingView {
  return {
    id: r.id,
    title: r.title,
    startedAt: r.startedAt?.toISOString() ?? null,
    durationMinutes: r.durationMinutes,
    playUrl: r.playUrl,
    files: r.files,
    createdAt: r.createdAt.toISOString(),
    session: { id: r.sessionId, title: r.sessionTitle, startsAt: r.sessionStartsAt.toISOString() },
    batch: { id: r.batchId, name: r.batchName },
    course: { id: r.courseId, title: r.courseTitle },
  };
}

/** `GET /v1/me/recordings`: the caller's batches with an active enrolment, newest class first. */
export async function listMyRecordings(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string },
) {
  const userId = ctx.actor.userId;
  if (!userId) throw notFound(NOT_FOUND);
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/me/recordings", { userId }),
      order: { by: [classSessions.startsAt], id: recordings.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ ...columns, cursorKey })
          .from(recordings)
          .innerJoin(classSessions, eq(classSessions.id, recordings.sessionId))
          .leftJoin(batches, eq(batches.id, classSessions.batchId))
          .leftJoin(courses, eq(courses.id, batches.courseId))
          .where(and(enrolledIn(q, userId), where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map(toView) };
}

/**
 * `GET /v1/recordings/{id}`: students with an active enrolment in its batch, and admins. An
 * unknown id, another batch's recording and a pending enrolment are the same 404.
 */
export async function getRecording(ctx: ServiceContext, id: string) {
  const { userId, role } = ctx.actor;
  const admin = role === "admin" || role === "super_admin";
  if (!admin && !userId) throw notFound(NOT_FOUND);
  const [row] = await runAs(ctx.http, ctx.actor, (q) =>
    from(q)
      .where(and(eq(recordings.id, id), admin || !userId ? undefined : enrolledIn(q, userId)))
      .limit(1),
  );
  if (!row) throw notFound(NOT_FOUND);
  return toView(row);
}
