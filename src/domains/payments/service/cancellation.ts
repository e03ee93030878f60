import { and, eq, inArray } from "drizzle-orm";
import { payments } from "../../../db/schema";
import { enterContext, SYSTEM, type Transaction } from "../../../db/transaction";
import type { AuditMeta } from "../../../lib/audit";
import { lockPayment, systemAudit, transition } from "./context";
import { reserveRefund } from "./refunds";

/**
 * When a student gives back a seat before the batch starts, inside the cancellation's own
 * transaction: open checkouts of the enrolment close (`expired`: a payment still made on one is
 * refunded automatically when it settles), and a paid one is refunded in full through the one
 * refund path (sent after the commit). Leaves the transaction in the `system` context.
 * Returns the refund to send, if any.
 */
export async function settleCancellation(
  tx: Transaction,
  audit: AuditMeta,
  enrolmentId: string,
  studentId: string,
): Promise<string | null> {
  await enterContext(tx, SYSTEM);
  const rows = await tx
    .select({ id: payments.id })
    .from(payments)
    .where(
      and(
        eq(payments.enrolmentId, enrolmentId),
        inArray(payments.status, ["created", "pending", "paid", "partially_refunded"]),
      ),
    )
    .orderBy(payments.createdAt);
  let refundId: string | null = null;
  for (const { id } of rows) {
    const payment = await lockPayment(tx, id);
    if (!payment) continue;
    if (payment.status === "created" || payment.status === "pending") {
      await transition(tx, systemAudit(audit), payment, "expired", {
        cause: "system",
        actorId: studentId,
        note: "enrolment_cancelled",
      });
    } else if (payment.status === "paid" || payment.status === "partially_refunded") {
      const refund = await reserveRefund(tx, audit, payment, {
        type: "QFL",
        reason: "Enrolment cancelled by the student before the batch started",
        transactionId: `cancel-${payment.id}`,
        requestedBy: studentId,
      }).catch((err: unknown) => {
        // Nothing left to refund (already refunded in full, or in flight): nothing to do.
        if (err instanceof Error && "code" in err && err.code === "CONFLICT") return null;
        throw err;
      });
      if (refund && refund.status === "requested") refundId = refund.id;
    }
  }
  return refundId;
}
