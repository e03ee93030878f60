/**
 * The payments part of the scheduled job (every 15 minutes, src/jobs/maintenance.ts). Instamojo
 * does not send failure webhooks by default and does not promise retries, so what is still
 * open is settled by asking it:
 *
 * - checkouts `pending` for more than 10 minutes (or `failed` within an hour of their expiry:
 *   the buyer may retry on the same page): a payment Instamojo has as paid is settled exactly
 *   as the webhook would; an open one past its expiry with nothing paid becomes `expired`;
 * - refunds still `requested` (Instamojo unreachable when asked) are sent again with their
 *   transaction id; `pending` ones are polled until Instamojo settles them;
 * - receipts and automatic-refund notices still due (paid or accepted before they went through
 *   the outbox) are queued, each with its stamp in one transaction.
 *
 * Each item is independent: one that fails is counted and left for the next run.
 */
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { payments, refunds } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { followUp } from "./confirm";
import { lockPayment, type PaymentsContext, systemAudit, transition } from "./context";
import { queueDueReceipt } from "./receipts";
import { notifyAutomaticRefund, pollRefund, sendRefund } from "./refunds";
import { settlePayment } from "./settle";

/** A checkout is asked about once it has been open this long (the webhook usually wins). */
export const RECONCILE_AFTER_MINUTES = 10;
/** Items per kind per run: a backlog drains over several runs. */
export const RECONCILE_BATCH = 50;
/** Payments of one request looked at (a request takes one successful payment; a few failures). */
const MAX_PAYMENTS_PER_REQUEST = 10;

export interface ReconcileReport {
  checked: number;
  settled: number;
  expired: number;
  refundsSent: number;
  refundsSettled: number;
  receiptsSent: number;
  errors: number;
}

export async function reconcilePayments(
  ctx: PaymentsContext,
  opts: { batch?: number } = {},
): Promise<ReconcileReport> {
  const limit = opts.batch ?? RECONCILE_BATCH;
  const report: ReconcileReport = {
    checked: 0,
    settled: 0,
    expired: 0,
    refundsSent: 0,
    refundsSettled: 0,
    receiptsSent: 0,
    errors: 0,
  };
  const each = async <T>(items: T[], work: (item: T) => Promise<void>) => {
    for (const item of items) {
      try {
        await work(item);
      } catch {
        report.errors++;
      }
    }
  };

  const open = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select()
      .from(payments)
      .where(
        and(
          or(
            inArray(payments.status, ["created", "pending"]),
            // A failed attempt leaves Instamojo's page payable until it expires: the buyer may
            // try again there, and that payment's webhook may never come.
            and(
              eq(payments.status, "failed"),
              gt(payments.expiresAt, sql`now() - interval '1 hour'`),
            ),
          ),
          lt(payments.updatedAt, sql`now() - make_interval(mins => ${RECONCILE_AFTER_MINUTES})`),
          // Flagged checkouts wait for an admin: asking again would flag them again each run.
          isNull(payments.reviewReason),
        ),
      )
      .orderBy(asc(payments.updatedAt))
      .limit(limit),
  );
  await each(open, async (row) => {
    report.checked++;
    if (row.providerRequestId) {
      const request = await ctx.payments.getPaymentRequest(row.providerRequestId);
      for (const paymentId of request?.paymentIds.slice(0, MAX_PAYMENTS_PER_REQUEST) ?? []) {
        const payment = await ctx.payments.getPayment(paymentId);
        if (payment?.status !== true) continue;
        const result = await settlePayment(ctx, {
          requestId: row.providerRequestId,
          paymentRowId: row.id,
          payment,
          cause: "reconcile",
        });
        followUp(ctx, result);
        report.settled++;
        return;
      }
    }
    // Nothing paid: past its expiry (with the same grace), the checkout is closed.
    const closed = await runAs(ctx.db, SYSTEM, async (tx) => {
      const locked = await lockPayment(tx, row.id);
      if (!locked || (locked.status !== "created" && locked.status !== "pending")) return false;
      const due = await tx.execute<{ due: boolean }>(
        sql`select ${locked.expiresAt} < now() - make_interval(mins => ${RECONCILE_AFTER_MINUTES}) as due`,
      );
      if (!due.rows[0]?.due) return false;
      await transition(tx, systemAudit(ctx.audit), locked, "expired", {
        cause: "reconcile",
        actorId: null,
        note: "not_paid_in_time",
      });
      return true;
    });
    if (closed) report.expired++;
  });

  const openRefunds = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select()
      .from(refunds)
      .where(
        and(
          inArray(refunds.status, ["requested", "pending"]),
          lt(refunds.updatedAt, sql`now() - interval '1 minute'`),
        ),
      )
      .orderBy(asc(refunds.updatedAt))
      .limit(limit),
  );
  await each(openRefunds, async (refund) => {
    if (refund.status === "requested") {
      const sent = await sendRefund(ctx, refund.id, { throwOnFailure: false });
      if (sent.outcome === "accepted") report.refundsSent++;
      else if (sent.outcome === "retry") report.errors++;
      return;
    }
    if ((await pollRefund(ctx, refund)) === "refunded") report.refundsSettled++;
  });

  const receiptsDue = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select({ id: payments.id })
      .from(payments)
      .where(
        and(isNull(payments.receiptSentAt), lt(payments.paidAt, sql`now() - interval '1 minute'`)),
      )
      .orderBy(asc(payments.paidAt))
      .limit(limit),
  );
  await each(receiptsDue, async ({ id }) => {
    if (await queueDueReceipt(ctx, id)) report.receiptsSent++;
  });

  const noticesDue = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select({ id: refunds.id })
      .from(refunds)
      .where(
        and(
          isNull(refunds.requestedBy),
          isNull(refunds.notifiedAt),
          inArray(refunds.status, ["pending", "refunded"]),
        ),
      )
      .limit(limit),
  );
  await each(noticesDue, async ({ id }) => {
    await notifyAutomaticRefund(ctx, id);
  });
  return report;
}
