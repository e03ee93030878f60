import { eq } from "drizzle-orm";
import { type PaymentEventCause, type PaymentStatus, payments } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { inBackground, type PaymentsContext } from "./context";
import { sendRefund } from "./refunds";
import { type SettleOutcome, type SettleResult, settlePayment } from "./settle";

export type ConfirmOutcome = SettleOutcome;

export interface ConfirmInput {
  /** Instamojo's payment id (`MOJO…`), as the webhook or the redirect named it. */
  paymentId: string;
  requestId: string;
  paymentRowId?: string;
  cause: PaymentEventCause;
  fields?: Record<string, unknown>;
}

export interface ConfirmResult extends SettleResult {
  /** The checkout's status after this call (when it is ours). */
  status?: PaymentStatus;
}

/**
 * What the webhook and the return page do: read the payment from Instamojo (their word is only
 * a hint), settle it (the receipt is queued in the settlement's transaction), and send an
 * automatic refund after the commit. A payment already settled by this id is answered without
 * asking Instamojo again.
 */
export async function confirmFromProvider(
  ctx: PaymentsContext,
  input: ConfirmInput,
): Promise<ConfirmResult> {
  const [known] = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select({ id: payments.id, enrolmentId: payments.enrolmentId, status: payments.status })
      .from(payments)
      .where(eq(payments.providerPaymentId, input.paymentId))
      .limit(1),
  );
  if (known) {
    return {
      outcome: "duplicate",
      paymentId: known.id,
      enrolmentId: known.enrolmentId,
      status: known.status,
    };
  }
  const payment = await ctx.payments.getPayment(input.paymentId);
  if (!payment) return { outcome: "unknown" };
  const result = await settlePayment(ctx, {
    requestId: input.requestId,
    paymentRowId: input.paymentRowId,
    payment,
    cause: input.cause,
    fields: input.fields,
  });
  followUp(ctx, result);
  if (!result.paymentId) return result;
  const [now] = await runAs(ctx.http, SYSTEM, (q) =>
    q
      .select({ status: payments.status })
      .from(payments)
      .where(eq(payments.id, result.paymentId as string)),
  );
  return { ...result, status: now?.status };
}

/**
 * After a settlement commits: an automatic refund is sent to Instamojo (a network call, so never
 * in the settlement's transaction); accepting it queues the student's notice in the outbox, which
 * this flushes, since the request's own hand-over has run by then.
 */
export function followUp(ctx: PaymentsContext, result: SettleResult) {
  if (result.refundId) {
    const refundId = result.refundId;
    // Its own connection: the request's Pool closes with the response.
    ctx.detached(async (db) => {
      const own = inBackground(ctx, db);
      try {
        await sendRefund(own, refundId, { throwOnFailure: false });
      } finally {
        await own.outbox.flush(own.http);
      }
    });
  }
}
