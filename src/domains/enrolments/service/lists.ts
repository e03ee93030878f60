import { and, eq, inArray, sql } from "drizzle-orm";
import { batches, courses, enrolments, users } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import { type KeysetResult, keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { EnrolmentView, MyEnrolmentsInput, RosterEntryView, RosterInput } from "../schemas";
import { batchSummaryColumns, courseSummaryColumns, toEnrolmentView } from "./views";

/**
 * `GET /v1/me/enrolments`: the student's enrolments, newest first (enrolments_user_created_idx).
 * Which rows: RLS as the student (own only). Their batch and course come from a second read as
 * `system`, by the ids of those rows only: RLS hides a cancelled batch or an archived course
 * from students, and a student must still see what became of their enrolment.
 */
export async function listMyEnrolments(
  ctx: ServiceContext,
  input: MyEnrolmentsInput,
): Promise<KeysetResult<EnrolmentView>> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("listMyEnrolments needs a signed-in user");
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/me/enrolments", { user: userId }),
      order: { by: [enrolments.createdAt], id: enrolments.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ enrolment: enrolments, cursorKey })
          .from(enrolments)
          .where(and(eq(enrolments.userId, userId), where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  const batchIds = [...new Set(page.data.map((r) => r.enrolment.batchId))];
  const details =
    batchIds.length === 0
      ? []
      : await runAs(ctx.http, SYSTEM, (q) =>
          q
            .select({
              batch: batchSummaryColumns,
              course: courseSummaryColumns,
            })
            .from(batches)
            .innerJoin(courses, eq(courses.id, batches.courseId))
            .where(inArray(batches.id, batchIds)),
        );
  const byBatch = new Map(details.map((d) => [d.batch.id, d]));
  return {
    data: page.data.flatMap(({ enrolment }) => {
      const d = byBatch.get(enrolment.batchId);
      return d ? [toEnrolmentView(enrolment, d.batch, d.course)] : [];
    }),
    pagination: page.pagination,
  };
}

/**
 * `GET /v1/admin/batches/{id}/roster`: a batch's enrolments (every status) in the order they
 * were taken (enrolments_batch_created_idx), with each student's name, email and attendance
 * (`batch_attendance`, migration 0020).
 */
export async function getRoster(
  ctx: ServiceContext,
  batchId: string,
  input: RosterInput,
): Promise<KeysetResult<RosterEntryView>> {
  return runAs(ctx.http, ctx.actor, async (q) => {
    const [batch] = await q
      .select({ id: batches.id })
      .from(batches)
      .where(eq(batches.id, batchId))
      .limit(1);
    if (!batch) throw notFound("The batch was not found.");
    const page = await keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/batches/:id/roster", { batch: batchId }),
      order: { by: [enrolments.createdAt], id: enrolments.id, direction: "asc" },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({
            enrolmentId: enrolments.id,
            userId: enrolments.userId,
            fullName: users.fullName,
            email: users.email,
            status: enrolments.status,
            source: enrolments.source,
            createdAt: enrolments.createdAt,
            activatedAt: enrolments.activatedAt,
            cursorKey,
          })
          .from(enrolments)
          .innerJoin(users, eq(users.id, enrolments.userId))
          .where(and(eq(enrolments.batchId, batchId), where))
          .orderBy(...orderBy)
          .limit(limit),
    });
    const ids = page.data.map((r) => r.userId);
    const attendance =
      ids.length === 0
        ? []
        : (
            await q.execute<{
              user_id: string;
              attended_seconds: string | number;
              held_seconds: string | number;
              percent: number | null;
            }>(
              sql`select user_id, attended_seconds, held_seconds, percent
                    from batch_attendance(${batchId}::uuid)
                   where user_id in (${sql.join(
                     ids.map((id) => sql`${id}::uuid`),
                     sql`, `,
                   )})`,
            )
          ).rows;
    const byUser = new Map(attendance.map((a) => [a.user_id, a]));
    return {
      data: page.data.map((r) => {
        const a = byUser.get(r.userId);
        return {
          enrolmentId: r.enrolmentId,
          userId: r.userId,
          fullName: r.fullName,
          email: r.email,
          status: r.status,
          source: r.source,
          enrolledAt: r.createdAt.toISOString(),
          activatedAt: r.activatedAt?.toISOString() ?? null,
          attendance: {
            attendedSeconds: Number(a?.attended_seconds ?? 0),
            heldSeconds: Number(a?.held_seconds ?? 0),
            percent: a?.percent ?? null,
          },
        };
      }),
      pagination: page.pagination,
    };
  });
}
