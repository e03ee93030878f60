/**
 * `POST /v1/enrolments/{id}/payments`: a student starts paying for a held seat.
 *
 * 1. Under the enrolment's lock (as the student: RLS shows them only their own), then as
 *    `system`: the open checkout of this enrolment is reused when it can still be paid, or our
 *    `created` row is written (one open checkout per enrolment is a unique index).
 * 2. Instamojo's payment request is created OUTSIDE the transaction (a network call), with our
 *    payment id in the webhook and redirect URLs, so even a request whose creation answer was
 *    lost can be matched when it is paid.
 * 3. The row becomes `pending` with the request id and checkout URL, and the Idempotency-Key
 *    answer is stored in that same transaction.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import {
  batches,
  courses,
  enrolments,
  type Payment,
  paymentEvents,
  payments,
  users,
} from "../../../db/schema";
import { enterContext, runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { AppError, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import {
  certainlyNotApplied,
  instamojoFailureOf,
  type PaymentRequest,
} from "../../../providers/instamojo/types";
import type { CheckoutInput, CheckoutView } from "../schemas";
import { lockPayment, systemAudit, transition } from "./context";
import type { StateCode } from "./gst";
import { priceBreakdown } from "./invoices";

/** A `created` row younger than this is another request creating it right now. */
export const CREATION_GRACE_SECONDS = 30;
/** Instamojo's maximum `purpose` length. */
const PURPOSE_MAX = 30;

export interface CheckoutResult {
  view: CheckoutView;
  created: boolean;
}

export function checkoutUrls(ctx: ServiceContext, requestUrl: string, paymentId: string) {
  const base = (ctx.config.API_PUBLIC_URL ?? new URL(requestUrl).origin).replace(/\/+$/, "");
  return {
    redirectUrl: `${base}/v1/payments/return`,
    webhookUrl: `${base}/v1/webhooks/instamojo?payment=${paymentId}`,
  };
}

const toView = (p: Payment): CheckoutView => ({
  paymentId: p.id,
  checkoutUrl: p.checkoutUrl ?? "",
  expiresAt: p.expiresAt.toISOString(),
  amountPaise: p.amountPaise,
  status: p.status,
});

export async function startCheckout(
  ctx: ServiceContext,
  enrolmentId: string,
  input: CheckoutInput,
  requestUrl: string,
): Promise<CheckoutResult> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("checkout needs a signed-in student");
  const buyerState = (input.billingState ?? null) as StateCode | null;

  const first = await runAs(ctx.db, ctx.actor, async (tx) => {
    const [found] = await tx
      .select({
        enrolment: enrolments,
        holdLive: sql<boolean>`coalesce(${enrolments.holdExpiresAt} > now(), false)`,
      })
      .from(enrolments)
      .where(and(eq(enrolments.id, enrolmentId), eq(enrolments.userId, userId)))
      .for("update")
      .limit(1);
    if (!found) throw notFound("The enrolment was not found.");
    const e = found.enrolment;
    if (e.status !== "pending_payment") {
      throw new AppError({
        code: "CONFLICT",
        detail:
          e.status === "active"
            ? "The enrolment is already active: there is nothing to pay."
            : `The enrolment is ${e.status}: enrol again to hold a seat, then pay.`,
        extensions: { status: e.status },
      });
    }
    if (!found.holdLive || !e.holdExpiresAt) {
      throw new AppError({
        code: "CONFLICT",
        detail: "The seat hold has run out: enrol again to hold a seat, then pay.",
        extensions: { status: "hold_expired" },
      });
    }
    // Payments are written only by trusted code: the student's own enrolment is checked above.
    await enterContext(tx, SYSTEM);
    const found2 = await openCheckout(tx, enrolmentId);
    let open = found2?.payment;
    if (open && found2?.lapsed) {
      // Its page stopped taking payments with an earlier hold: close it, start a new one.
      await transition(tx, systemAudit(ctx.audit), open, "expired", {
        cause: "checkout",
        actorId: userId,
        note: "superseded",
      });
      open = undefined;
    }
    if (open?.status === "pending") {
      if (buyerState !== null && buyerState !== open.buyerState) {
        // The place of supply is read when the invoice is issued: the latest answer stands.
        [open] = (await tx
          .update(payments)
          .set({ buyerState })
          .where(eq(payments.id, open.id))
          .returning()) as [Payment];
      }
      await ctx.idempotency?.complete(tx, { status: 200, body: toView(open) });
      return { reuse: open };
    }
    if (open?.status === "created") {
      const young = await tx.execute<{ young: boolean }>(
        sql`select ${open.createdAt} > now() - make_interval(secs => ${CREATION_GRACE_SECONDS}) as young`,
      );
      if (young.rows[0]?.young) {
        throw new AppError({
          code: "CONFLICT",
          detail: "This checkout is being created by another request. Try again in a moment.",
          extensions: { status: "in_progress" },
        });
      }
      // Its creation answer never came back: abandon it (a payment made on it still settles:
      // failed → paid is allowed, and the webhook URL names it).
      await transition(tx, systemAudit(ctx.audit), open, "failed", {
        cause: "checkout",
        actorId: userId,
        note: "creation_unknown",
      });
    }
    const amount = priceBreakdown(ctx.config, e.pricePaise, buyerState).totalPaise;
    const [row] = await tx
      .insert(payments)
      .values({
        enrolmentId,
        userId,
        amountPaise: amount,
        provider: ctx.payments.kind,
        expiresAt: e.holdExpiresAt,
        buyerState,
      })
      .returning();
    if (!row) throw new Error("payment insert returned nothing");
    await tx.insert(paymentEvents).values({
      paymentId: row.id,
      fromStatus: null,
      toStatus: "created",
      cause: "checkout",
      actorId: userId,
    });
    const [details] = await tx
      .select({
        course: courses.title,
        batch: batches.name,
        name: users.fullName,
        email: users.email,
        phone: users.phone,
      })
      .from(batches)
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .innerJoin(users, eq(users.id, userId))
      .where(eq(batches.id, e.batchId))
      .limit(1);
    if (!details) throw new Error("the enrolment's batch vanished");
    return { row, details };
  });
  if ("reuse" in first && first.reuse) return { view: toView(first.reuse), created: false };
  const { row, details } = first as Exclude<typeof first, { reuse: Payment }>;

  let request: PaymentRequest;
  try {
    request = await ctx.payments.createPaymentRequest({
      amountPaise: row.amountPaise,
      purpose: purposeOf(details.course, details.batch),
      buyerName: details.name,
      email: details.email,
      phone: details.phone,
      ...checkoutUrls(ctx, requestUrl, row.id),
      expiresAt: row.expiresAt,
    });
  } catch (err) {
    const failure = instamojoFailureOf(err);
    if (failure && certainlyNotApplied(failure)) {
      // Nothing exists at Instamojo: close the row so the next attempt starts clean.
      await runAs(ctx.db, SYSTEM, async (tx) => {
        const locked = await lockPayment(tx, row.id);
        if (locked?.status === "created") {
          await transition(tx, systemAudit(ctx.audit), locked, "failed", {
            cause: "checkout",
            actorId: userId,
            note: `provider_${failure.kind}`,
          });
        }
      });
    }
    // Otherwise the request may exist: the row stays `created` (the job expires it, and a
    // payment made on it still settles through the webhook URL that names it).
    throw err;
  }

  const view = await runAs(ctx.db, SYSTEM, async (tx) => {
    const locked = await lockPayment(tx, row.id);
    if (!locked) throw new Error("payment vanished");
    let now = locked;
    if (locked.status === "created") {
      now = await transition(
        tx,
        systemAudit(ctx.audit),
        locked,
        "pending",
        { cause: "checkout", actorId: userId, note: null },
        { providerRequestId: request.id, checkoutUrl: request.checkoutUrl },
      );
    }
    const answer = toView(now);
    await ctx.idempotency?.complete(tx, { status: 201, body: answer });
    return answer;
  });
  return { view, created: true };
}

/** The enrolment's checkout that can still be paid (created or pending, not past expiry). */
async function openCheckout(tx: Transaction, enrolmentId: string) {
  const [row] = await tx
    .select({ payment: payments, lapsed: sql<boolean>`${payments.expiresAt} <= now()` })
    .from(payments)
    .where(
      and(eq(payments.enrolmentId, enrolmentId), inArray(payments.status, ["created", "pending"])),
    )
    .for("update")
    .limit(1);
  return row;
}

/** "Course - Batch" within Instamojo's 30 characters. */
export function purposeOf(course: string, batch: string): string {
  const full = `${course} - ${batch}`;
  return full.length <= PURPOSE_MAX ? full : `${full.slice(0, PURPOSE_MAX - 1)}…`;
}
