/**
 * Settling a checkout from what Instamojo says about one of its payments: the webhook, the
 * return page and the reconciliation job all end here, with a payment object READ FROM
 * INSTAMOJO'S API (never the webhook's or the query string's word alone).
 *
 * Exactly once: the checkout row is locked for the whole decision, and a payment already
 * settled by this Instamojo payment id is a duplicate. 20 concurrent copies of one webhook
 * queue on the lock; the first moves the payment, the rest find it moved.
 *
 * On `paid`, in ONE transaction: the payment moves to paid; the enrolment becomes active and its
 * hold ends (or, when its seat is gone, an automatic refund is written to be sent); the tax
 * invoice is issued; the event and audit rows are written; and the receipt is queued in the
 * outbox (`receipt_sent_at` stamped with it), so a payment is never paid without its receipt
 * nor receipted without being paid.
 */
import { eq, sql } from "drizzle-orm";
import {
  batches,
  type Enrolment,
  enrolments,
  type Payment,
  type PaymentEventCause,
  payments,
  refunds,
} from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import type { Payment as ProviderPayment, RefundType } from "../../../providers/instamojo/types";
import { auditEnrolment, countSeatsAsCaller, lockBatchSeats } from "../../enrolments/public";
import {
  flag,
  lockEnrolmentThenPayment,
  type PaymentsContext,
  systemAudit,
  transition,
} from "./context";
import { issueInvoice } from "./invoices";
import { queueReceipt } from "./receipts";

export type SettleOutcome = "paid" | "failed" | "pending" | "duplicate" | "flagged" | "unknown";

export interface SettleInput {
  /** Instamojo's payment request id the payment belongs to (from the webhook or return). */
  requestId: string;
  /** Our payment id, when the caller knows it (the webhook URL carries it as `?payment=`). */
  paymentRowId?: string;
  /** The payment as Instamojo's API returned it. */
  payment: ProviderPayment;
  cause: PaymentEventCause;
  /** What the provider sent (webhook form without `mac`), kept on the event row. */
  fields?: Record<string, unknown>;
}

export interface SettleResult {
  outcome: SettleOutcome;
  paymentId?: string;
  enrolmentId?: string;
  /** An automatic refund was written: send it (sendRefund) after the commit. */
  refundId?: string;
}

/** Why an automatic refund: the seat paid for cannot be given. */
type SeatVerdict = { activate: true } | { activate: false; type: RefundType; reason: string };

export async function settlePayment(
  ctx: PaymentsContext,
  input: SettleInput,
): Promise<SettleResult> {
  const audit = systemAudit(ctx.audit);
  const provider = input.payment;
  const why = { cause: input.cause, actorId: null, providerFields: input.fields ?? provider.raw };
  const result = await runAs(ctx.db, SYSTEM, async (tx): Promise<SettleResult> => {
    const row = await findCheckout(tx, input);
    if (!row) return { outcome: "unknown" };
    let payment = row;
    const ids = { paymentId: payment.id, enrolmentId: payment.enrolmentId };

    // A payment of some other request, or a `?payment=` that names another checkout: the
    // MAC was valid, so this is our own data disagreeing with itself. An admin looks.
    if (
      (payment.providerRequestId !== null && payment.providerRequestId !== input.requestId) ||
      (provider.paymentRequestId !== null && provider.paymentRequestId !== input.requestId)
    ) {
      await flag(tx, audit, payment, "request_mismatch", why);
      return { outcome: "flagged", ...ids };
    }
    if (payment.providerRequestId === null) {
      // A checkout whose creation answer we never got: the webhook names its request.
      [payment] = (await tx
        .update(payments)
        .set({ providerRequestId: input.requestId })
        .where(eq(payments.id, payment.id))
        .returning()) as [Payment];
    }

    const settled = ["paid", "partially_refunded", "refunded"].includes(payment.status);
    if (settled) {
      if (payment.providerPaymentId === provider.id) return { outcome: "duplicate", ...ids };
      if (provider.status !== true) return { outcome: "duplicate", ...ids };
      // A second successful payment for one checkout (allow_repeated_payments is false, so
      // Instamojo should never allow it): money was taken twice; an admin refunds it.
      await flag(tx, audit, payment, `second_payment:${provider.id}`, why);
      return { outcome: "flagged", ...ids };
    }
    if (provider.status === null) return { outcome: "pending", ...ids };
    if (provider.status === false) {
      if (payment.status === "created" || payment.status === "pending") {
        await transition(tx, audit, payment, "failed", {
          ...why,
          note: provider.failureReason?.slice(0, 200) ?? null,
        });
        return { outcome: "failed", ...ids };
      }
      return { outcome: "duplicate", ...ids };
    }

    // Paid at Instamojo. Only the exact amount in rupees activates anything.
    if (provider.amountPaise !== payment.amountPaise || provider.currency !== "INR") {
      await flag(tx, audit, payment, "amount_mismatch", why);
      return { outcome: "flagged", ...ids };
    }
    const [elsewhere] = await tx
      .select({ id: payments.id })
      .from(payments)
      .where(eq(payments.providerPaymentId, provider.id))
      .limit(1);
    if (elsewhere) {
      await flag(tx, audit, payment, "payment_id_reused", why);
      return { outcome: "flagged", ...ids };
    }

    payment = await transition(tx, audit, payment, "paid", why, {
      providerPaymentId: provider.id,
      paidAt: sql`now()`,
    });
    const verdict = await placeStudent(tx, ctx, payment);
    await issueInvoice(tx, ctx.config, audit, payment);
    if (verdict.activate) {
      await queueReceipt(tx, ctx, payment.id);
      return { outcome: "paid", ...ids };
    }
    const [refund] = await tx
      .insert(refunds)
      .values({
        paymentId: payment.id,
        amountPaise: payment.amountPaise,
        type: verdict.type,
        reason: verdict.reason,
        transactionId: `auto-${payment.id}`,
        requestedBy: null,
      })
      .onConflictDoNothing({ target: refunds.transactionId })
      .returning({ id: refunds.id });
    if (refund) {
      await recordAudit(tx, audit, {
        action: "refund.request",
        entityType: "refund",
        entityId: refund.id,
        after: { paymentId: payment.id, amountPaise: payment.amountPaise, reason: verdict.reason },
      });
    }
    // No receipt (the refund's notice tells the student once Instamojo accepts it): this only
    // takes the payment off the receipts still due.
    await queueReceipt(tx, ctx, payment.id);
    return { outcome: "paid", ...ids, refundId: refund?.id };
  });
  return result;
}

/** The checkout the payment is for, locked after its enrolment (lockEnrolmentThenPayment). */
async function findCheckout(tx: Transaction, input: SettleInput): Promise<Payment | undefined> {
  if (input.paymentRowId) {
    const byId = await lockEnrolmentThenPayment(tx, input.paymentRowId);
    if (byId) return byId;
  }
  const [row] = await tx
    .select({ id: payments.id })
    .from(payments)
    .where(eq(payments.providerRequestId, input.requestId));
  return row ? lockEnrolmentThenPayment(tx, row.id) : undefined;
}

/**
 * Gives the student the seat they paid for: their hold if it is still running; a free seat if
 * the hold ran out (a payment that arrives late still activates when it can); else nothing,
 * and the caller refunds. Runs under the enrolment's lock and, when a seat must be found, the
 * batch's seat lock, as enrolling does.
 */
async function placeStudent(
  tx: Transaction,
  ctx: PaymentsContext,
  payment: Payment,
): Promise<SeatVerdict> {
  const audit = systemAudit(ctx.audit);
  const [found] = await tx
    .select({
      enrolment: enrolments,
      holdLive: sql<boolean>`coalesce(${enrolments.holdExpiresAt} > now(), false)`,
      batchStatus: batches.status,
      capacity: batches.capacity,
    })
    .from(enrolments)
    .innerJoin(batches, eq(batches.id, enrolments.batchId))
    .where(eq(enrolments.id, payment.enrolmentId))
    .for("update", { of: enrolments });
  if (!found) throw new Error(`payment ${payment.id} has no enrolment`);
  const e = found.enrolment;
  if (e.status === "active") {
    return {
      activate: false,
      type: "RFD",
      reason: "Duplicate payment: the seat was already paid for",
    };
  }
  if (e.status === "cancelled") {
    return {
      activate: false,
      type: "TNR",
      reason: "The enrolment was cancelled before the payment",
    };
  }
  if (found.batchStatus !== "scheduled" && found.batchStatus !== "running") {
    return { activate: false, type: "TAN", reason: `The batch is ${found.batchStatus}` };
  }
  if (!(e.status === "pending_payment" && found.holdLive)) {
    // The hold ran out (expired, or lapsed before the job got to it): a seat if one is free.
    const taken =
      (await lockBatchSeats(tx, e.batchId)) ?? (await countSeatsAsCaller(tx, e.batchId));
    if (taken >= found.capacity) {
      return {
        activate: false,
        type: "TNR",
        reason: "Paid after the seat hold expired; the batch is full",
      };
    }
  }
  await activate(tx, audit, e);
  return { activate: true };
}

async function activate(tx: Transaction, audit: ReturnType<typeof systemAudit>, e: Enrolment) {
  const [after] = await tx
    .update(enrolments)
    .set({ status: "active", holdExpiresAt: null, activatedAt: sql`now()`, cancelledAt: null })
    .where(eq(enrolments.id, e.id))
    .returning();
  if (!after) throw new Error(`enrolment ${e.id} vanished under its lock`);
  await recordAudit(tx, audit, {
    action: "enrolment.activate",
    entityType: "enrolment",
    entityId: e.id,
    before: auditEnrolment(e),
    after: auditEnrolment(after),
  });
}
