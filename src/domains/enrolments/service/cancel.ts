import { and, eq, sql } from "drizzle-orm";
import { batches, courses, enrolments } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { invalidateCoursePage } from "../../catalogue/public";
import { sendRefund, settleCancellation } from "../../payments/public";
import type { CancelledEnrolmentView } from "../schemas";
import {
  auditEnrolment,
  batchSummaryColumns,
  courseSummaryColumns,
  toEnrolmentView,
} from "./views";

/**
 * `POST /v1/enrolments/{id}/cancel`: the student gives their seat back, before the batch starts
 * (midnight of its start date in its own time zone). Another student's enrolment is not found
 * (RLS shows it to nobody else). Refunds belong to payments. Audited.
 */
export async function cancelEnrolment(
  ctx: ServiceContext,
  id: string,
): Promise<CancelledEnrolmentView> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("cancel needs a signed-in student");
  const { row, found, refundId } = await runAs(ctx.db, ctx.actor, async (tx) => {
    // Left joins: a batch that was cancelled, or whose course was archived, is hidden from the
    // student by RLS while their enrolment is not.
    const [found] = await tx
      .select({
        enrolment: enrolments,
        batch: batchSummaryColumns,
        course: courseSummaryColumns,
        started: sql<boolean>`now() >= (${batches.startDate}::timestamp at time zone ${batches.timezone})`,
      })
      .from(enrolments)
      .leftJoin(batches, eq(batches.id, enrolments.batchId))
      .leftJoin(courses, eq(courses.id, batches.courseId))
      .where(and(eq(enrolments.id, id), eq(enrolments.userId, userId)))
      .for("update", { of: enrolments })
      .limit(1);
    if (!found) throw notFound("The enrolment was not found.");
    const before = found.enrolment;
    if (before.status !== "active" && before.status !== "pending_payment") {
      throw new AppError({
        code: "CONFLICT",
        detail: `The enrolment is already ${before.status}.`,
        extensions: { status: before.status },
      });
    }
    if (!found.batch || !found.course) {
      throw new AppError({
        code: "CONFLICT",
        detail: "The batch is no longer offered; contact support about this enrolment.",
      });
    }
    if (found.started) {
      throw new AppError({
        code: "CONFLICT",
        detail: "The batch has started: the enrolment can no longer be cancelled.",
        extensions: { startDate: found.batch.startDate, timezone: found.batch.timezone },
      });
    }
    const [row] = await tx
      .update(enrolments)
      .set({ status: "cancelled", holdExpiresAt: null, cancelledAt: sql`now()` })
      .where(eq(enrolments.id, id))
      .returning();
    if (!row) throw notFound("The enrolment was not found.");
    await recordAudit(tx, ctx.audit, {
      action: "enrolment.cancel",
      entityType: "enrolment",
      entityId: id,
      before: auditEnrolment(before),
      after: auditEnrolment(row),
    });
    // Last: it leaves the transaction in the system context (payments are system-written).
    const refundId = await settleCancellation(tx, ctx.audit, id, userId);
    return { row, found: { batch: found.batch, course: found.course }, refundId };
  });
  await invalidateCoursePage(ctx, found.course.slug);
  let refund: CancelledEnrolmentView["refund"] = null;
  if (refundId) {
    // Instamojo is called after the commit; a failure leaves the refund requested for the job.
    try {
      const sent = await sendRefund(ctx, refundId, { throwOnFailure: false });
      refund = { id: sent.view.id, amountPaise: sent.view.amountPaise, status: sent.view.status };
    } catch {
      // The cancellation committed; the refund is requested and the job sends it again.
      refund = { id: refundId, amountPaise: 0, status: "requested" };
    }
  }
  return { ...toEnrolmentView(row, found.batch, found.course), refund };
}
