import { and, eq, isNull, sql } from "drizzle-orm";
import { batches, courses, enrolments, invoices, payments, users } from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { actionLink } from "../../../lib/notifications/links";
import type { PaymentsContext } from "./context";

/**
 * Queues a paid payment's receipt (with its invoice number) in `tx`, once, and stamps
 * `receipt_sent_at`, which means "receipt queued": the notification row and the stamp commit
 * together. Settlement calls it in the transaction that makes the payment paid and activates
 * the seat; the scheduled job calls it (`queueDueReceipt`) for paid payments settled before
 * receipts went through the outbox. The dedupe key `receipt:<payment id>` keeps it one
 * notification whoever gets there first. Returns whether a receipt was queued.
 */
export async function queueReceipt(
  tx: Transaction,
  ctx: Pick<PaymentsContext, "outbox" | "config">,
  paymentId: string,
): Promise<boolean> {
  const [row] = await tx
    .select({
      userId: users.id,
      email: users.email,
      name: users.fullName,
      course: courses.title,
      batch: batches.name,
      amountPaise: payments.amountPaise,
      invoiceId: invoices.id,
      invoiceNumber: invoices.number,
      // Not for a payment being refunded automatically (a duplicate, or a seat gone): its
      // refund notice tells the student instead.
      seated: sql<boolean>`${enrolments.status} = 'active' and not exists (
        select 1 from refunds r where r.payment_id = ${payments.id} and r.requested_by is null)`,
    })
    .from(payments)
    .innerJoin(users, eq(users.id, payments.userId))
    .innerJoin(enrolments, eq(enrolments.id, payments.enrolmentId))
    .innerJoin(batches, eq(batches.id, enrolments.batchId))
    .innerJoin(courses, eq(courses.id, batches.courseId))
    .innerJoin(invoices, and(eq(invoices.paymentId, payments.id), eq(invoices.kind, "invoice")))
    .where(and(eq(payments.id, paymentId), isNull(payments.receiptSentAt)))
    .for("update", { of: payments })
    .limit(1);
  if (!row) return false;
  if (row.seated) {
    await ctx.outbox.add(tx, {
      channel: "email",
      to: row.email,
      template: "payment_receipt",
      variables: {
        name: row.name,
        courseTitle: row.course,
        batchName: row.batch,
        amountPaise: row.amountPaise,
        invoiceNumber: row.invoiceNumber,
        invoiceLink: actionLink(
          ctx.config.API_PUBLIC_URL ?? ctx.config.APP_BASE_URL,
          `/v1/invoices/${row.invoiceId}.pdf`,
        ),
      },
      transactional: true,
      dedupeKey: `receipt:${paymentId}`,
      userId: row.userId,
    });
  }
  // Paid for a seat that could not be given: nothing is queued (the automatic refund's notice
  // tells the student instead of a receipt that says "your seat is confirmed"), and the
  // payment leaves the job's queue all the same.
  await tx
    .update(payments)
    .set({ receiptSentAt: sql`now()` })
    .where(and(eq(payments.id, paymentId), isNull(payments.receiptSentAt)));
  return row.seated;
}

/** The job's sweep: one paid payment whose receipt is still due, in its own transaction. */
export function queueDueReceipt(ctx: PaymentsContext, paymentId: string): Promise<boolean> {
  return runAs(ctx.db, SYSTEM, (tx) => queueReceipt(tx, ctx, paymentId));
}
