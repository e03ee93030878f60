import { eq, sql } from "drizzle-orm";
import { users } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, conflict, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { invalidateCoursePage } from "../../catalogue/public";
import type { GrantEnrolmentInput } from "../schemas";
import { batchFull, type EnrolResult, writeSeat } from "./enrol";
import { countSeatsAsCaller, loadBatch, lockBatchSeats, lockExisting } from "./seats";
import { auditEnrolment, toEnrolmentView } from "./views";

/**
 * `POST /v1/admin/batches/{id}/enrolments`: an admin gives a student a seat, `active` at once,
 * nothing owed (price 0), source `admin_grant`, with the reason; audited. Any batch that is
 * scheduled or running, whether or not its enrolment window is open or its course published.
 * The seat counts against capacity: a full batch answers 409 BATCH_FULL unless the admin sends
 * `overCapacity: true`. A student who already holds a seat keeps it (200, unchanged); a held
 * (unpaid) seat becomes the granted one.
 */
export async function grantEnrolment(
  ctx: ServiceContext,
  batchId: string,
  input: GrantEnrolmentInput,
): Promise<EnrolResult> {
  const result = await runAs(ctx.db, ctx.actor, async (tx) => {
    const b = await loadBatch(tx, batchId);
    if (!b) throw notFound("The batch was not found.");
    if (b.batch.status !== "scheduled" && b.batch.status !== "running") {
      throw new AppError({
        code: "ENROLMENT_CLOSED",
        detail: `The batch is ${b.batch.status}: it takes no enrolments.`,
        extensions: { reason: b.batch.status },
      });
    }
    const [student] = await tx
      .select({ role: users.role, status: users.status })
      .from(users)
      .where(eq(users.id, input.userId))
      .limit(1);
    if (!student) throw notFound("The user was not found.");
    if (student.role !== "student") throw conflict("Only student accounts can be enrolled.");
    if (student.status !== "active") throw conflict("The student's account is not active.");

    // The student's row, then the batch's seat lock: the order enrol() takes them in.
    const existing = await lockExisting(tx, input.userId, batchId);
    if (existing?.enrolment.status === "active") {
      return { row: existing.enrolment, b, created: false };
    }
    const taken = (await lockBatchSeats(tx, batchId)) ?? (await countSeatsAsCaller(tx, batchId));
    // A live hold already counts as this student's seat; anything else needs a free one.
    const ownSeat = existing?.enrolment.status === "pending_payment" && existing.holdLive === true;
    if (!ownSeat && !input.overCapacity && taken >= b.batch.capacity) {
      throw batchFull(b.batch.capacity);
    }
    const row = await writeSeat(tx, input.userId, batchId, existing?.enrolment, {
      status: "active",
      source: "admin_grant",
      grantReason: input.reason,
      pricePaise: 0,
      holdExpiresAt: null,
      activatedAt: sql`now()`,
      cancelledAt: null,
    });
    if (!row) throw conflict("The student enrolled at the same moment; try again.");
    await recordAudit(tx, ctx.audit, {
      action: "enrolment.grant",
      entityType: "enrolment",
      entityId: row.id,
      before: existing ? auditEnrolment(existing.enrolment) : null,
      after: { ...auditEnrolment(row), overCapacity: input.overCapacity === true },
    });
    return { row, b, created: true };
  });
  if (result.created) await invalidateCoursePage(ctx, result.b.course.slug);
  return {
    enrolment: toEnrolmentView(result.row, result.b.batch, result.b.course),
    created: result.created,
  };
}
