import { eq } from "drizzle-orm";
import { type PaymentEventCause, type PaymentStatus, payments } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { inBackground, type PaymentsContext } from "./context";
import { sendReceipt } from "./receipts";
import { notifyAutomaticRefund, sendRefund } from "./refunds";
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
 * a hint), settle it, and start what follows a settlement (receipt, automatic refund) after the
 * commit. A payment already settled by this id is answered without asking Instamojo again.
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

/** After a settlement commits: the receipt, and an automatic refund with its notice. */
export function followUp(ctx: PaymentsContext, result: SettleResult) {
  if (result.outcome === "paid" && result.paymentId) {
    const paymentId = result.paymentId;
    ctx.waitUntil(sendReceipt(ctx, paymentId));
  }
  if (result.refundId) {
    const refundId = result.refundId;
    // Its own connection: the request's Pool closes with the response (the receipt above
    // needs none: it uses the HTTP path only).
    ctx.detached(async (db) => {
      const own = inBackground(ctx, db);
      const sent = await sendRefund(own, refundId, { throwOnFailure: false });
      if (sent.outcome === "accepted") await notifyAutomaticRefund(own, refundId);
    });
  }
}
