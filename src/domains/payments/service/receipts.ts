import { and, eq, isNull, sql } from "drizzle-orm";
import { batches, courses, enrolments, invoices, payments, users } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { actionLink, paymentReceiptEmail } from "../../../lib/email";
import type { PaymentsContext } from "./context";

/**
 * Sends a paid payment's receipt (with its invoice number) once. `receipt_sent_at` null on a
 * paid payment is the queue: settlement makes it due in its own transaction, this sends it right
 * after the commit, and the scheduled job sends whatever a crash or an email outage left due.
 * The provider deduplicates on the idempotency key, so a send that raced the job is one email.
 */
export async function sendReceipt(ctx: PaymentsContext, paymentId: string): Promise<boolean> {
  const row = await runAs(ctx.http, SYSTEM, async (q) => {
    const [r] = await q
      .select({
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
      .limit(1);
    return r;
  });
  if (!row) return false;
  const done = () =>
    runAs(ctx.http, SYSTEM, (q) =>
      q
        .update(payments)
        .set({ receiptSentAt: sql`now()` })
        .where(and(eq(payments.id, paymentId), isNull(payments.receiptSentAt))),
    );
  if (!row.seated) {
    // Paid for a seat that could not be given: the automatic refund's notice tells the
    // student instead of a receipt that says "your seat is confirmed".
    await done();
    return false;
  }
  const mail = paymentReceiptEmail({
    name: row.name,
    course: row.course,
    batch: row.batch,
    amountPaise: row.amountPaise,
    invoiceNumber: row.invoiceNumber,
    invoiceLink: actionLink(
      ctx.config.API_PUBLIC_URL ?? ctx.config.APP_BASE_URL,
      `/v1/invoices/${row.invoiceId}.pdf`,
    ),
  });
  await ctx.sendEmail({ to: row.email, ...mail, idempotencyKey: `receipt-${paymentId}` });
  await done();
  return true;
}
