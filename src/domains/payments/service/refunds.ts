/**
 * Refunds, whoever asks (an admin, a student cancelling, or settlement when a paid-for seat is
 * gone), go one way:
 *
 * 1. A `requested` refund row is written under the payment's lock: the amount is reserved
 *    (never more than paid minus every refund not failed), and its `transaction_id` is fixed.
 * 2. Instamojo is called OUTSIDE any transaction with that transaction_id, which it
 *    deduplicates: a retry after a timeout, a crash or a second click never refunds twice.
 * 3. Its acceptance is applied in one transaction: the refund's state, the payment's
 *    refunded total and status, the credit note, the enrolment cancelled when the refund is full,
 *    the event and audit rows, the admin's Idempotency-Key record, and for an automatic refund
 *    the student's notice (the outbox).
 *
 * A refund whose call failed in a way that may be retried stays `requested`; the scheduled job
 * sends it again (src/jobs/payments.ts) and polls `pending` ones until Instamojo settles them.
 */
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import {
  batches,
  courses,
  enrolments,
  type Invoice,
  invoices,
  type Payment,
  payments,
  type Refund,
  refunds,
  users,
} from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import type { AuditMeta } from "../../../lib/audit";
import { recordAudit } from "../../../lib/audit";
import { AppError, notFound } from "../../../lib/errors";
import { hashToken } from "../../../lib/tokens";
import {
  certainlyNotApplied,
  instamojoFailureOf,
  type Refund as ProviderRefund,
  type RefundType,
} from "../../../providers/instamojo/types";
import { auditEnrolment } from "../../enrolments/public";
import type { CreateRefundInput, RefundView } from "../schemas";
import {
  flag,
  lockEnrolmentThenPayment,
  lockPayment,
  type PaymentsContext,
  systemAudit,
  transition,
} from "./context";
import { issueCreditNote } from "./invoices";

const refundable = ["paid", "partially_refunded"] as const;

/**
 * Paise of the payment neither refunded (`refunded_paise`: every refund Instamojo accepted,
 * including one it later gave up on, since the total never goes down) nor reserved by a refund
 * still `requested`.
 */
async function unreserved(tx: Transaction, payment: Payment): Promise<number> {
  const [row] = await tx
    .select({ inFlight: sql<number>`coalesce(sum(${refunds.amountPaise}), 0)::int` })
    .from(refunds)
    .where(and(eq(refunds.paymentId, payment.id), eq(refunds.status, "requested")));
  return payment.amountPaise - payment.refundedPaise - Number(row?.inFlight ?? 0);
}

export interface RefundRequest {
  amountPaise?: number;
  type: RefundType;
  reason: string;
  transactionId: string;
  requestedBy: string | null;
}

/**
 * Step 1, in the caller's transaction as `system`, the payment locked by this call: reserves the
 * amount and writes the `requested` row (or returns the one this transaction id already made).
 */
export async function reserveRefund(
  tx: Transaction,
  audit: AuditMeta,
  payment: Payment,
  req: RefundRequest,
): Promise<Refund> {
  const [existing] = await tx
    .select()
    .from(refunds)
    .where(eq(refunds.transactionId, req.transactionId))
    .limit(1);
  if (existing) {
    if (existing.paymentId !== payment.id) {
      throw new AppError({
        code: "IDEMPOTENCY_KEY_REUSED",
        detail: "This Idempotency-Key already made a refund of another payment.",
      });
    }
    return existing;
  }
  if (!(refundable as readonly string[]).includes(payment.status)) {
    throw new AppError({
      code: "CONFLICT",
      detail: `The payment is ${payment.status}: there is nothing to refund.`,
      extensions: { status: payment.status },
    });
  }
  const left = await unreserved(tx, payment);
  const amount = req.amountPaise ?? left;
  if (left <= 0) {
    throw new AppError({
      code: "CONFLICT",
      detail: "The payment is already refunded in full (or the rest is being refunded).",
      extensions: { refundablePaise: 0 },
    });
  }
  if (amount > left) {
    throw new AppError({
      code: "VALIDATION_FAILED",
      detail: `At most ${left} paise can be refunded: what was paid minus what is refunded already.`,
      errors: [{ path: "amountPaise", message: `at most ${left}` }],
      extensions: { refundablePaise: left },
    });
  }
  const [row] = await tx
    .insert(refunds)
    .values({
      paymentId: payment.id,
      amountPaise: amount,
      type: req.type,
      reason: req.reason,
      transactionId: req.transactionId,
      requestedBy: req.requestedBy,
    })
    .returning();
  if (!row) throw new Error("refund insert returned nothing");
  await recordAudit(tx, audit, {
    action: "refund.request",
    entityType: "refund",
    entityId: row.id,
    after: { paymentId: payment.id, amountPaise: amount, type: req.type, reason: req.reason },
  });
  return row;
}

/** The transaction id of an admin's refund: from their Idempotency-Key, never the raw key. */
export async function adminRefundTransactionId(adminId: string, key: string): Promise<string> {
  return `adm-${(await hashToken(`refund|${adminId}|${key}`)).slice(0, 40)}`;
}

/**
 * `POST /v1/admin/payments/{id}/refunds`: an admin refunds all or part of a payment. 201 with
 * the refund once Instamojo accepted it; 502 when Instamojo could not be reached (the refund
 * stays requested and is sent again by the scheduled job, under the same transaction id).
 */
export async function createAdminRefund(
  ctx: PaymentsContext & { actor: { userId: string | null } },
  paymentId: string,
  input: CreateRefundInput,
  idempotencyKey: string,
): Promise<RefundView> {
  const adminId = ctx.actor.userId;
  if (!adminId) throw new Error("a refund needs a signed-in admin");
  const transactionId = await adminRefundTransactionId(adminId, idempotencyKey);
  const refund = await runAs(ctx.db, SYSTEM, async (tx) => {
    const payment = await lockPayment(tx, paymentId);
    if (!payment) throw notFound("The payment was not found.");
    const row = await reserveRefund(tx, ctx.audit, payment, {
      ...input,
      transactionId,
      requestedBy: adminId,
    });
    if (row.status === "failed") {
      throw new AppError({
        code: "CONFLICT",
        detail: "Instamojo refused this refund. Send a new Idempotency-Key to try again.",
      });
    }
    return row;
  });
  const sent = await sendRefund(ctx, refund.id, { throwOnFailure: true });
  return sent.view;
}

export interface SendRefundResult {
  outcome: "accepted" | "retry" | "failed" | "already";
  view: RefundView;
}

/**
 * Steps 2 and 3 for one `requested` refund (anything else is answered as it stands). With
 * `throwOnFailure` a failed call is the caller's 502; without (jobs, settlement), it is a result.
 */
export async function sendRefund(
  ctx: PaymentsContext,
  refundId: string,
  opts: { throwOnFailure: boolean },
): Promise<SendRefundResult> {
  const loaded = await runAs(ctx.http, SYSTEM, async (q) => {
    const [row] = await q
      .select({ refund: refunds, payment: payments })
      .from(refunds)
      .innerJoin(payments, eq(payments.id, refunds.paymentId))
      .where(eq(refunds.id, refundId))
      .limit(1);
    return row;
  });
  if (!loaded) throw notFound("The refund was not found.");
  const { refund, payment } = loaded;
  if (refund.status !== "requested") {
    return { outcome: "already", view: await applyAccepted(ctx, refund.id, null) };
  }
  if (!payment.providerPaymentId) throw new Error(`refund ${refund.id} of an unsettled payment`);
  if (refund.providerStatus === null) {
    // Remembered before the call: from now on a refusal may be Instamojo's answer to a replay.
    await runAs(ctx.http, SYSTEM, (q) =>
      q
        .update(refunds)
        .set({ providerStatus: "sent" })
        .where(and(eq(refunds.id, refund.id), eq(refunds.status, "requested"))),
    );
  }
  let accepted: ProviderRefund;
  try {
    accepted = await ctx.payments.createRefund({
      paymentId: payment.providerPaymentId,
      transactionId: refund.transactionId,
      type: refund.type as RefundType,
      reason: refund.reason,
      amountPaise: refund.amountPaise,
    });
  } catch (err) {
    const failure = instamojoFailureOf(err);
    const refused =
      failure !== undefined &&
      certainlyNotApplied(failure) &&
      (failure.kind === "rejected" || failure.kind === "not_found");
    // A refusal is final only for a first send: a resend may be refused because Instamojo
    // already has this transaction id (its answer to a replay is UNCONFIRMED), and failing the
    // refund then would free money that was in fact returned. A resend's refusal flags the
    // payment for an admin and leaves the refund requested.
    if (refused && refund.providerStatus === null) {
      await markFailed(ctx, refund.id, "refund_refused", undefined, "requested");
    } else if (refused) {
      await flagOnce(ctx, refund, "refund_resend_refused");
    }
    if (opts.throwOnFailure) throw err;
    return {
      outcome: refused ? "failed" : "retry",
      view: await refundView(ctx, refund.id),
    };
  }
  if (accepted.state === "failed") {
    await markFailed(ctx, refund.id, "refund_refused", accepted.raw, "requested");
    if (opts.throwOnFailure) {
      throw new AppError({
        code: "EXTERNAL_SERVICE_ERROR",
        detail: "Instamojo refused the refund.",
        extensions: { service: "instamojo" },
      });
    }
    return { outcome: "failed", view: await refundView(ctx, refund.id) };
  }
  return { outcome: "accepted", view: await applyAccepted(ctx, refund.id, accepted) };
}

/**
 * Step 3: applies Instamojo's acceptance once (a refund no longer `requested` is left as it is),
 * and stores the admin's Idempotency-Key answer in the same transaction.
 */
async function applyAccepted(
  ctx: PaymentsContext,
  refundId: string,
  accepted: ProviderRefund | null,
): Promise<RefundView> {
  return runAs(ctx.db, SYSTEM, async (tx) => {
    const [head] = await tx
      .select({ paymentId: refunds.paymentId })
      .from(refunds)
      .where(eq(refunds.id, refundId));
    if (!head) throw notFound("The refund was not found.");
    // The enrolment (a full refund cancels it), the payment, then the refund: the order every
    // path locks in.
    const payment = await lockEnrolmentThenPayment(tx, head.paymentId);
    const [refund] = await tx.select().from(refunds).where(eq(refunds.id, refundId)).for("update");
    if (!payment || !refund) throw notFound("The refund was not found.");
    if (refund.status === "requested" && accepted) {
      await accept(tx, ctx, payment, refund, accepted);
    }
    const view = await viewIn(tx, refundId);
    await ctx.idempotency?.complete(tx, { status: 201, body: view });
    return view;
  });
}

async function accept(
  tx: Transaction,
  ctx: PaymentsContext,
  payment: Payment,
  refund: Refund,
  accepted: ProviderRefund,
) {
  const audit = refund.requestedBy ? ctx.audit : systemAudit(ctx.audit);
  const refundedBefore = payment.refundedPaise;
  const total = refundedBefore + refund.amountPaise;
  const full = total >= payment.amountPaise;
  await transition(
    tx,
    audit,
    payment,
    full ? "refunded" : "partially_refunded",
    {
      cause: "refund",
      actorId: refund.requestedBy,
      note: `refund:${refund.id}`,
      providerFields: accepted.raw,
    },
    { refundedPaise: total },
  );
  const settled = accepted.state === "refunded";
  await tx
    .update(refunds)
    .set({
      status: settled ? "refunded" : "pending",
      providerRefundId: accepted.id,
      providerStatus: accepted.providerStatus.slice(0, 100),
      settledAt: settled ? sql`now()` : null,
      updatedAt: sql`now()`,
    })
    .where(eq(refunds.id, refund.id));
  await issueCreditNote(tx, ctx.config, audit, payment, refund, refundedBefore);
  await recordAudit(tx, audit, {
    action: "refund.accept",
    entityType: "refund",
    entityId: refund.id,
    after: {
      providerRefundId: accepted.id,
      state: accepted.state,
      amountPaise: refund.amountPaise,
    },
  });
  // An automatic refund (the seat was gone) is the student's news: told in this transaction.
  if (refund.requestedBy === null) await queueRefundNotice(tx, ctx, refund.id);
  if (!full) return;
  // A full refund gives the seat back, unless another payment pays for it (a duplicate
  // payment refunded automatically; an old payment refunded after the student enrolled again).
  const [otherPaid] = await tx
    .select({ id: payments.id })
    .from(payments)
    .where(
      and(
        eq(payments.enrolmentId, payment.enrolmentId),
        ne(payments.id, payment.id),
        inArray(payments.status, ["paid", "partially_refunded"]),
      ),
    )
    .limit(1);
  if (otherPaid) return;
  const [e] = await tx
    .select()
    .from(enrolments)
    .where(eq(enrolments.id, payment.enrolmentId))
    .for("update");
  if (e && (e.status === "active" || e.status === "pending_payment")) {
    const [after] = await tx
      .update(enrolments)
      .set({ status: "cancelled", holdExpiresAt: null, cancelledAt: sql`now()` })
      .where(eq(enrolments.id, e.id))
      .returning();
    await recordAudit(tx, audit, {
      action: "enrolment.cancel",
      entityType: "enrolment",
      entityId: e.id,
      before: auditEnrolment(e),
      after: after ? { ...auditEnrolment(after), reason: "refunded" } : null,
    });
  }
}

async function markFailed(
  ctx: PaymentsContext,
  refundId: string,
  reason: string,
  raw?: Record<string, unknown>,
  from: "requested" | "pending" = "pending",
) {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const [head] = await tx.select().from(refunds).where(eq(refunds.id, refundId));
    if (!head) return;
    const payment = await lockPayment(tx, head.paymentId);
    const [refund] = await tx.select().from(refunds).where(eq(refunds.id, refundId)).for("update");
    // Only from the state the caller saw: a concurrent send may have moved it on meanwhile.
    if (!payment || !refund || refund.status !== from) return;
    await tx
      .update(refunds)
      .set({ status: "failed", updatedAt: sql`now()` })
      .where(eq(refunds.id, refundId));
    // Money Instamojo will not return is an admin's to sort out: the payment is flagged.
    await flag(tx, systemAudit(ctx.audit), payment, `${reason}:${refund.id}`, {
      cause: "refund",
      actorId: refund.requestedBy,
      providerFields: raw ?? null,
    });
  });
}

/** Flags the refund's payment for an admin, once per reason and refund. */
async function flagOnce(ctx: PaymentsContext, refund: Refund, reason: string) {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const payment = await lockPayment(tx, refund.paymentId);
    if (!payment || payment.reviewReason === `${reason}:${refund.id}`) return;
    await flag(tx, systemAudit(ctx.audit), payment, `${reason}:${refund.id}`, {
      cause: "refund",
      actorId: refund.requestedBy,
      providerFields: null,
    });
  });
}

/**
 * Polls a `pending` refund: `refunded` when Instamojo says so; a refund Instamojo gives up on
 * after accepting it flags the payment (its refunded total stays: it only ever grows).
 */
export async function pollRefund(ctx: PaymentsContext, refund: Refund): Promise<Refund["status"]> {
  if (refund.status !== "pending" || !refund.providerRefundId) return refund.status;
  const now = await ctx.payments.getRefund(refund.providerRefundId);
  if (!now || now.state === "pending") return "pending";
  if (now.state === "failed") {
    await markFailed(ctx, refund.id, "refund_failed_after_acceptance", now.raw);
    return "failed";
  }
  await runAs(ctx.db, SYSTEM, async (tx) => {
    await tx
      .update(refunds)
      .set({
        status: "refunded",
        providerStatus: now.providerStatus.slice(0, 100),
        settledAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(refunds.id, refund.id), eq(refunds.status, "pending")));
    await recordAudit(tx, systemAudit(ctx.audit), {
      action: "refund.settle",
      entityType: "refund",
      entityId: refund.id,
      after: { providerStatus: now.providerStatus },
    });
  });
  return "refunded";
}

async function viewIn(tx: Transaction, refundId: string): Promise<RefundView> {
  const [row] = await tx
    .select({ refund: refunds, payment: payments, note: invoices })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.paymentId))
    .leftJoin(invoices, eq(invoices.refundId, refunds.id))
    .where(eq(refunds.id, refundId))
    .limit(1);
  if (!row) throw notFound("The refund was not found.");
  return toRefundView(row.refund, row.payment, row.note);
}

async function refundView(ctx: PaymentsContext, refundId: string): Promise<RefundView> {
  return runAs(ctx.db, SYSTEM, (tx) => viewIn(tx, refundId));
}

export function toRefundView(refund: Refund, payment: Payment, note: Invoice | null): RefundView {
  return {
    id: refund.id,
    paymentId: refund.paymentId,
    amountPaise: refund.amountPaise,
    type: refund.type,
    reason: refund.reason,
    status: refund.status,
    createdAt: refund.createdAt.toISOString(),
    creditNote: note ? { id: note.id, number: note.number } : null,
    payment: { status: payment.status, refundedPaise: payment.refundedPaise },
  };
}

/**
 * Queues the notice of an automatic refund (the seat paid for was gone) in `tx`, once, and
 * stamps `notified_at` with it: accepting the refund calls it in the transaction that applies
 * Instamojo's acceptance; the scheduled job (`notifyAutomaticRefund`) for any accepted before
 * notices went through the outbox. The dedupe key `refund:<refund id>` keeps it one notice.
 */
export async function queueRefundNotice(
  tx: Transaction,
  ctx: Pick<PaymentsContext, "outbox">,
  refundId: string,
): Promise<boolean> {
  const [row] = await tx
    .select({
      refund: refunds,
      userId: users.id,
      name: users.fullName,
      email: users.email,
      course: courses.title,
      batch: batches.name,
    })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.paymentId))
    .innerJoin(users, eq(users.id, payments.userId))
    .innerJoin(enrolments, eq(enrolments.id, payments.enrolmentId))
    .innerJoin(batches, eq(batches.id, enrolments.batchId))
    .innerJoin(courses, eq(courses.id, batches.courseId))
    .where(eq(refunds.id, refundId))
    .for("update", { of: refunds })
    .limit(1);
  if (!row || row.refund.requestedBy !== null || row.refund.notifiedAt) return false;
  if (row.refund.status !== "pending" && row.refund.status !== "refunded") return false;
  await ctx.outbox.add(tx, {
    channel: "email",
    to: row.email,
    template: "refund",
    variables: {
      status: "initiated",
      name: row.name,
      courseTitle: row.course,
      batchName: row.batch,
      amountPaise: row.refund.amountPaise,
      automatic: true,
      reason: row.refund.reason,
    },
    transactional: true,
    dedupeKey: `refund:${refundId}`,
    userId: row.userId,
  });
  await tx
    .update(refunds)
    .set({ notifiedAt: sql`now()` })
    .where(and(eq(refunds.id, refundId), sql`${refunds.notifiedAt} is null`));
  return true;
}

/** The job's sweep: an accepted automatic refund not yet told, in its own transaction. */
export function notifyAutomaticRefund(ctx: PaymentsContext, refundId: string): Promise<boolean> {
  return runAs(ctx.db, SYSTEM, (tx) => queueRefundNotice(tx, ctx, refundId));
}
