/**
 * Development stand-in for Instamojo (PAYMENTS_PROVIDER=dev; refused in staging and production).
 *
 * Payment requests, payments and refunds live in KV (the CACHE binding), which `wrangler dev`
 * persists, so a checkout survives reloads; tests get the same binding. Ids look like the real
 * ones (32 hex request ids, `MOJO…` payment ids). The checkout URL opens a page this API serves
 * (dev-pages.ts) whose Pay and Fail buttons call `recordPayment` and post the signed webhook.
 * Refunds settle at once and dedupe on the transaction id, as Instamojo's do. It validates what
 * the real adapter validates and refuses what Instamojo would (over-refunds, unpaid payments).
 */
import { conflict, notFound } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { PAYMENT_ID, PAYMENT_REQUEST_ID, refundState, truncatePurpose } from "./adapter";
import { paiseToRupees } from "./amount";
import {
  type CreatePaymentRequestInput,
  type CreateRefundInput,
  InstamojoError,
  instamojoServiceError,
  type Payment,
  type PaymentRequest,
  type PaymentsProvider,
  type Refund,
  refundTypes,
} from "./types";

const PREFIX = "instamojo-dev:";
/** Long enough for any checkout and its refunds; a development store needs no cleanup job. */
const TTL_SECONDS = 90 * 24 * 60 * 60;

export interface DevPaymentRequest {
  id: string;
  amountPaise: number;
  purpose: string;
  buyerName: string;
  email: string;
  phone: string | null;
  redirectUrl: string;
  webhookUrl: string;
  expiresAt: string;
  status: "Pending" | "Completed";
  paymentIds: string[];
  createdAt: string;
}

interface DevPayment {
  id: string;
  requestId: string;
  status: boolean | null;
  amountPaise: number;
  refundedPaise: number;
  failureReason: string | null;
  createdAt: string;
}

interface DevRefund {
  id: string;
  paymentId: string;
  transactionId: string;
  type: string;
  body: string;
  amountPaise: number;
  status: string;
  createdAt: string;
}

export interface DevInstamojoOptions {
  kv: KVNamespace;
  /** Origin of this API, for checkout URLs (e.g. http://127.0.0.1:8787). */
  baseUrl: string;
  logger?: Logger;
}

export const devCheckoutPath = (requestId: string) => `/dev/instamojo/checkout/${requestId}`;

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
function randomText(length: number, alphabet: string): string {
  // 252 = 7 × 36 and 16 × 15.75: reject the top bytes so every character is equally likely.
  const out: string[] = [];
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      const limit = 256 - (256 % alphabet.length);
      if (b < limit && out.length < length) out.push(alphabet[b % alphabet.length] ?? "0");
    }
  }
  return out.join("");
}

export class DevInstamojoProvider implements PaymentsProvider {
  readonly kind = "dev" as const;
  private readonly baseUrl: string;

  constructor(private readonly opts: DevInstamojoOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
  }

  async createPaymentRequest(input: CreatePaymentRequestInput): Promise<PaymentRequest> {
    if (!Number.isSafeInteger(input.amountPaise) || input.amountPaise <= 0) {
      throw new TypeError("amountPaise must be a positive integer");
    }
    if (Number.isNaN(input.expiresAt.getTime())) throw new TypeError("expiresAt is not a date");
    // Instamojo's limits: INR 9 to 2,00,000.
    if (input.amountPaise < 900 || input.amountPaise > 200_000_00) {
      throw this.fail("rejected", "create_request", "amount outside INR 9 to 2,00,000", 400);
    }
    const request: DevPaymentRequest = {
      id: randomText(32, "0123456789abcdef"),
      amountPaise: input.amountPaise,
      purpose: truncatePurpose(input.purpose),
      buyerName: input.buyerName,
      email: input.email,
      phone: input.phone,
      redirectUrl: input.redirectUrl,
      webhookUrl: input.webhookUrl,
      expiresAt: input.expiresAt.toISOString(),
      status: "Pending",
      paymentIds: [],
      createdAt: new Date().toISOString(),
    };
    await this.put(`request:${request.id}`, request);
    const view = this.requestView(request);
    this.opts.logger?.info("instamojo payment request (dev)", {
      requestId: request.id,
      amount: paiseToRupees(request.amountPaise),
      checkoutUrl: view.checkoutUrl,
    });
    return view;
  }

  async getPaymentRequest(id: string): Promise<PaymentRequest | null> {
    const request = await this.getStored(id);
    return request ? this.requestView(request) : null;
  }

  /** The stored request, for the development pages. */
  async getStored(id: string): Promise<DevPaymentRequest | null> {
    if (!PAYMENT_REQUEST_ID.test(id)) return null;
    return this.get<DevPaymentRequest>(`request:${id.toLowerCase()}`);
  }

  async getPayment(paymentId: string): Promise<Payment | null> {
    if (!PAYMENT_ID.test(paymentId)) return null;
    const payment = await this.get<DevPayment>(`payment:${paymentId}`);
    return payment ? paymentView(payment) : null;
  }

  /**
   * The buyer's answer on the checkout page. A paid request takes no more payments (we always
   * send allow_repeated_payments=false); a failed attempt leaves it open, as at Instamojo.
   */
  async recordPayment(requestId: string, outcome: "paid" | "failed"): Promise<Payment> {
    const request = await this.getStored(requestId);
    if (!request) throw notFound("No development payment request has this id.");
    if (request.status === "Completed") throw conflict("This payment request is already paid.");
    if (Date.parse(request.expiresAt) <= Date.now()) {
      throw conflict("This payment request has expired.");
    }
    const payment: DevPayment = {
      id: `MOJO${randomText(16, ALNUM)}`,
      requestId: request.id,
      status: outcome === "paid",
      amountPaise: request.amountPaise,
      refundedPaise: 0,
      failureReason: outcome === "paid" ? null : "Payment declined by the buyer (development)",
      createdAt: new Date().toISOString(),
    };
    await this.put(`payment:${payment.id}`, payment);
    await this.put(`request:${request.id}`, {
      ...request,
      status: outcome === "paid" ? "Completed" : request.status,
      paymentIds: [...request.paymentIds, payment.id],
    } satisfies DevPaymentRequest);
    return paymentView(payment);
  }

  async createRefund(input: CreateRefundInput): Promise<Refund> {
    if (!PAYMENT_ID.test(input.paymentId)) throw new TypeError("paymentId is not a MOJO… id");
    if (!Number.isSafeInteger(input.amountPaise) || input.amountPaise <= 0) {
      throw new TypeError("amountPaise must be a positive integer");
    }
    if (!(refundTypes as readonly string[]).includes(input.type)) {
      throw new TypeError("type is not one of Instamojo's refund types");
    }
    if (!/^[\w.:-]{1,64}$/.test(input.transactionId)) {
      throw new TypeError("transactionId must be 1-64 letters, digits or _.:-");
    }
    const txKey = `refund-tx:${input.paymentId}:${input.transactionId}`;
    const existingId = await this.get<string>(txKey);
    if (existingId) {
      const existing = await this.get<DevRefund>(`refund:${existingId}`);
      if (existing) return refundView(existing);
    }
    const payment = await this.get<DevPayment>(`payment:${input.paymentId}`);
    if (!payment) throw this.fail("not_found", "create_refund", "no such payment", 404);
    if (payment.status !== true) {
      throw this.fail("rejected", "create_refund", "the payment was not paid", 400);
    }
    if (input.amountPaise > payment.amountPaise - payment.refundedPaise) {
      throw this.fail("rejected", "create_refund", "more than is left to refund", 400);
    }
    const refund: DevRefund = {
      id: `C${randomText(9, ALNUM)}`,
      paymentId: payment.id,
      transactionId: input.transactionId,
      type: input.type,
      body: input.reason,
      amountPaise: input.amountPaise,
      status: "Refunded",
      createdAt: new Date().toISOString(),
    };
    await this.put(`refund:${refund.id}`, refund);
    await this.put(txKey, refund.id);
    await this.put(`payment:${payment.id}`, {
      ...payment,
      refundedPaise: payment.refundedPaise + refund.amountPaise,
    });
    return refundView(refund);
  }

  async getRefund(refundId: string): Promise<Refund | null> {
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(refundId)) return null;
    const refund = await this.get<DevRefund>(`refund:${refundId}`);
    return refund ? refundView(refund) : null;
  }

  private requestView(r: DevPaymentRequest): PaymentRequest {
    return {
      id: r.id,
      amountPaise: r.amountPaise,
      status: r.status,
      checkoutUrl: `${this.baseUrl}${devCheckoutPath(r.id)}`,
      paymentIds: r.paymentIds,
    };
  }

  private fail(kind: InstamojoError["kind"], op: string, why: string, status: number): Error {
    const cause = new InstamojoError(kind, `instamojo ${op} (dev): ${status}: ${why}`, { status });
    this.opts.logger?.warn("instamojo request failed", { provider: "dev", op, kind, status });
    return instamojoServiceError(cause);
  }

  private get<T>(key: string): Promise<T | null> {
    return this.guard(() => this.opts.kv.get<T>(PREFIX + key, "json"));
  }

  private put(key: string, value: unknown): Promise<void> {
    return this.guard(() =>
      this.opts.kv.put(PREFIX + key, JSON.stringify(value), { expirationTtl: TTL_SECONDS }),
    );
  }

  /** A KV failure is this provider failing: the same 502 the real one gives. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw instamojoServiceError(
        new InstamojoError(
          "server",
          `instamojo (dev): storage failed (${err instanceof Error ? err.name : "unknown"})`,
        ),
      );
    }
  }
}

function paymentView(p: DevPayment): Payment {
  return {
    id: p.id,
    status: p.status,
    amountPaise: p.amountPaise,
    currency: "INR",
    paymentRequestId: p.requestId,
    instrumentType: p.status === null ? null : "UPI",
    failureReason: p.failureReason,
    raw: {
      id: p.id,
      status: p.status,
      amount: paiseToRupees(p.amountPaise),
      currency: "INR",
      payment_request: p.requestId,
      instrument_type: p.status === null ? null : "UPI",
      failure: p.failureReason ? { reason: "DECLINED", message: p.failureReason } : null,
      created_at: p.createdAt,
    },
  };
}

function refundView(r: DevRefund): Refund {
  return {
    id: r.id,
    paymentId: r.paymentId,
    amountPaise: r.amountPaise,
    state: refundState(r.status),
    providerStatus: r.status,
    raw: {
      id: r.id,
      payment_id: r.paymentId,
      status: r.status,
      type: r.type,
      body: r.body,
      refund_amount: paiseToRupees(r.amountPaise),
      created_at: r.createdAt,
    },
  };
}
