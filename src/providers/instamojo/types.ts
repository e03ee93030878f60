/**
 * What the rest of the app may ask of Instamojo (PROVIDERS.md §1), whichever provider answers:
 * the real v2 API (adapter.ts) or the development stand-in (dev.ts). Amounts are integer paise
 * here; the adapter converts to and from Instamojo's rupee strings ("499.00") without floats.
 */
import { AppError, externalServiceError } from "../../lib/errors";

export type PaymentsProviderKind = "instamojo" | "dev";

export interface CreatePaymentRequestInput {
  amountPaise: number;
  /** Shown to the buyer; Instamojo limits it to 30 characters (the adapter truncates). */
  purpose: string;
  buyerName: string;
  email: string;
  /** E.164 or null; sent without the +91 prefix Instamojo does not expect. */
  phone: string | null;
  /** Absolute: where Instamojo sends the buyer after paying (`/v1/payments/return`). */
  redirectUrl: string;
  /** Absolute: where Instamojo posts the signed form webhook (`/v1/webhooks/instamojo`). */
  webhookUrl: string;
  /** When the request stops taking payments (sent as `expires_at`; UNCONFIRMED upstream). */
  expiresAt: Date;
}

/** Instamojo's payment request status, as it spells it. */
export type PaymentRequestStatus = "Pending" | "Sent" | "Failed" | "Completed" | (string & {});

export interface PaymentRequest {
  /** 32 hex characters. */
  id: string;
  amountPaise: number;
  status: PaymentRequestStatus;
  /** The checkout page (`longurl`). */
  checkoutUrl: string;
  /** Ids of payments made against it (`payments`), when the provider listed them. */
  paymentIds: string[];
}

export interface Payment {
  /** `MOJO…`. */
  id: string;
  /** v2's boolean status: true = paid, false = failed, null = initiated (not settled yet). */
  status: boolean | null;
  amountPaise: number;
  currency: string;
  /** The payment request it belongs to (parsed from the `payment_request` link). */
  paymentRequestId: string | null;
  instrumentType: string | null;
  failureReason: string | null;
  /** The provider's fields, for the event timeline (no secrets in a payment object). */
  raw: Record<string, unknown>;
}

/** Instamojo's refund reason codes. */
export const refundTypes = ["RFD", "TNR", "QFL", "QNR", "EWN", "TAN", "PTH"] as const;
export type RefundType = (typeof refundTypes)[number];

export interface CreateRefundInput {
  paymentId: string;
  /**
   * Deduplicates retries at Instamojo: the same id never refunds twice. Derived from our own
   * refund row (never the client's raw Idempotency-Key).
   */
  transactionId: string;
  type: RefundType;
  /** Why (Instamojo's `body`). */
  reason: string;
  amountPaise: number;
}

/** Our reading of a refund's state: `pending` until Instamojo settles it. */
export type RefundState = "pending" | "refunded" | "failed";

export interface Refund {
  id: string;
  paymentId: string;
  amountPaise: number;
  state: RefundState;
  /** Instamojo's own status text, kept for the timeline. */
  providerStatus: string;
  raw: Record<string, unknown>;
}

/**
 * Every method either does what it says or throws an AppError EXTERNAL_SERVICE_ERROR (502)
 * whose `cause` is an InstamojoError: its `kind` says what went wrong, and neither carries the
 * provider's body, the client secret or a token.
 */
export interface PaymentsProvider {
  readonly kind: PaymentsProviderKind;
  createPaymentRequest(input: CreatePaymentRequestInput): Promise<PaymentRequest>;
  /** `null` when Instamojo has no such request. */
  getPaymentRequest(id: string): Promise<PaymentRequest | null>;
  /** `null` when Instamojo has no such payment. */
  getPayment(paymentId: string): Promise<Payment | null>;
  createRefund(input: CreateRefundInput): Promise<Refund>;
  /** `null` when Instamojo has no such refund. */
  getRefund(refundId: string): Promise<Refund | null>;
}

export type InstamojoFailureKind =
  /** Token refused (wrong client id or secret), or a 401 that persisted after a new token. */
  | "auth"
  | "rate_limited"
  | "timeout"
  /** No HTTP answer at all (DNS, connection refused or reset). */
  | "unreachable"
  | "not_found"
  /** Any other 4xx, or a 2xx with `"success": false`: Instamojo refused the request. */
  | "rejected"
  | "server"
  /** A 2xx whose body lacks what the contract promises. */
  | "bad_response";

/** Why an Instamojo call failed, safe for logs, Sentry and the error log: no bodies, no secrets. */
export class InstamojoError extends Error {
  readonly kind: InstamojoFailureKind;
  readonly status?: number;

  constructor(kind: InstamojoFailureKind, message: string, opts: { status?: number } = {}) {
    super(message);
    this.name = "InstamojoError";
    this.kind = kind;
    this.status = opts.status;
  }
}

/** The InstamojoError behind an error a provider threw (or the error itself), if any. */
export function instamojoFailureOf(err: unknown): InstamojoError | undefined {
  if (err instanceof InstamojoError) return err;
  if (err instanceof AppError && err.cause instanceof InstamojoError) return err.cause;
  return undefined;
}

/**
 * Whether a failed call certainly had no effect at Instamojo (so the same request may be sent
 * again as new, or given up): a refusal before or instead of processing. Timeouts, 5xx and
 * unreadable answers may have taken effect.
 */
export function certainlyNotApplied(err: InstamojoError): boolean {
  return (
    err.kind === "auth" ||
    err.kind === "rejected" ||
    err.kind === "not_found" ||
    err.kind === "unreachable" ||
    err.kind === "rate_limited"
  );
}

/** The app's error for a failed Instamojo call: 502 EXTERNAL_SERVICE_ERROR, cause attached. */
export function instamojoServiceError(cause: InstamojoError): AppError {
  return externalServiceError("instamojo", cause);
}
