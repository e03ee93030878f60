/**
 * Reconciliation's comparison of one of our payments with what Instamojo says about its payment
 * request. Pure: the reconciliation report asks the provider, this decides what disagrees.
 */
import type { PaymentStatus } from "../../../../db/schema";
import type {
  Payment as ProviderPayment,
  PaymentRequest as ProviderPaymentRequest,
} from "../../../../providers/instamojo/types";

export const mismatchProblems = [
  /** Instamojo does not know our payment request. */
  "request_missing",
  /** We say paid (or refunded), Instamojo has no successful payment for the request. */
  "paid_without_provider_payment",
  /** Instamojo has a successful payment (status true) we have not recorded as paid. */
  "provider_paid_not_recorded",
  /** Paid on both sides, but Instamojo's successful payment is not the one we recorded. */
  "payment_id_differs",
  /** More than one successful payment against one request: the student paid twice. */
  "multiple_provider_payments",
  "amount_differs",
  "currency_differs",
  /** Instamojo could not be asked (timeout, 5xx, refused): look again later. */
  "provider_unavailable",
] as const;
export type MismatchProblem = (typeof mismatchProblems)[number];

export interface OurPayment {
  id: string;
  status: PaymentStatus;
  amountPaise: number;
  currency: string;
  providerRequestId: string;
  providerPaymentId: string | null;
}

export interface TheirSide {
  /** null: Instamojo has no such request. */
  request: ProviderPaymentRequest | null;
  /** The payments Instamojo returned for the request (and for our recorded payment id). */
  payments: ProviderPayment[];
}

export interface Mismatch {
  paymentId: string;
  problem: MismatchProblem;
  ourStatus: PaymentStatus | null;
  ourAmountPaise: number | null;
  providerPaymentId: string | null;
  providerAmountPaise: number | null;
}

const SETTLED: ReadonlySet<PaymentStatus> = new Set(["paid", "partially_refunded", "refunded"]);

export function compareWithProvider(ours: OurPayment, theirs: TheirSide): Mismatch[] {
  const out: Mismatch[] = [];
  const add = (problem: MismatchProblem, theirPayment?: ProviderPayment) =>
    out.push({
      paymentId: ours.id,
      problem,
      ourStatus: ours.status,
      ourAmountPaise: ours.amountPaise,
      providerPaymentId: theirPayment?.id ?? null,
      providerAmountPaise: theirPayment?.amountPaise ?? null,
    });

  if (!theirs.request) add("request_missing");
  // A payment Instamojo files under another request says nothing about this one.
  const successful = theirs.payments.filter(
    (p) =>
      p.status === true &&
      (p.paymentRequestId === null || p.paymentRequestId === ours.providerRequestId),
  );
  const ourPaid = SETTLED.has(ours.status);
  if (ourPaid && successful.length === 0) add("paid_without_provider_payment");
  if (!ourPaid && successful[0]) add("provider_paid_not_recorded", successful[0]);
  if (successful.length > 1) add("multiple_provider_payments", successful[1]);
  const recorded = successful.find((p) => p.id === ours.providerPaymentId);
  if (ourPaid && successful[0] && !recorded) add("payment_id_differs", successful[0]);
  const theirPayment = recorded ?? successful[0];
  if (theirPayment) {
    if (theirPayment.amountPaise !== ours.amountPaise) add("amount_differs", theirPayment);
    if (theirPayment.currency !== ours.currency) add("currency_differs", theirPayment);
  }
  return out;
}

/** The row reported when Instamojo could not be asked about a payment. */
export function providerUnavailable(ours: OurPayment): Mismatch {
  return {
    paymentId: ours.id,
    problem: "provider_unavailable",
    ourStatus: ours.status,
    ourAmountPaise: ours.amountPaise,
    providerPaymentId: null,
    providerAmountPaise: null,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
