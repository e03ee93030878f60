/**
 * Instamojo's Payments API v2 (PROVIDERS.md §1): `POST {base}oauth2/token/` with the client
 * credentials in a form body, then `Authorization: Bearer` on `{base}v2/…/` (trailing slashes
 * kept). Request bodies are form-encoded; answers are JSON.
 *
 * - The token is cached per isolate, and concurrent callers share one token request. Its life
 *   is UNCONFIRMED, so a 401 drops it and the call is retried once with a fresh one.
 * - Every request has a timeout and the whole operation a deadline.
 * - A create whose outcome is unknown (timeout, 5xx, unreadable answer) is never sent again:
 *   Instamojo has no idempotency key for payment requests. Refunds are the exception: the
 *   `transaction_id` dedupes them, so one more attempt after a 5xx or a timeout is safe.
 * - Any failure is a 502 EXTERNAL_SERVICE_ERROR whose cause (InstamojoError) carries no body,
 *   token or secret; a 2xx with `"success": false` is a failure too.
 */
import * as z from "zod";
import type { Logger } from "../../lib/logger";
import {
  bearerToken,
  type CachedToken,
  cachedToken,
  fetchWithin,
  forgetToken,
} from "../bearer-tokens";
import { paiseToRupees, parseRupees } from "./amount";
import {
  type CreatePaymentRequestInput,
  type CreateRefundInput,
  InstamojoError,
  instamojoServiceError,
  type Payment,
  type PaymentRequest,
  type PaymentsProvider,
  type Refund,
  type RefundState,
  refundTypes,
} from "./types";

export const INSTAMOJO_DEFAULT_BASE_URL = "https://api.instamojo.com/";

export interface InstamojoHttpOptions {
  clientId: string;
  clientSecret: string;
  /** `https://api.instamojo.com/` or `https://test.instamojo.com/` (a trailing slash is added). */
  baseUrl?: string;
  /** Each HTTP request, token or API (default 10 s). */
  timeoutMs?: number;
  /** One operation from start to end, token and retries included (default 25 s). */
  deadlineMs?: number;
  logger?: Logger;
  /** Tests: the clock that decides when a cached token is due (default Date.now). */
  clock?: () => number;
}

type Operation =
  | "token"
  | "create_request"
  | "get_request"
  | "get_payment"
  | "create_refund"
  | "get_refund";

/** Assumed when the token answer has no expires_in (UNCONFIRMED); a 401 renews it anyway. */
const DEFAULT_TOKEN_LIFETIME_S = 3600;

export const PAYMENT_REQUEST_ID = /^[0-9a-f]{32}$/i;
export const PAYMENT_ID = /^MOJO[0-9A-Za-z]{1,40}$/;
const REFUND_ID = /^[0-9A-Za-z_-]{1,64}$/;
/** Instamojo caps `purpose` at 30 characters. */
export const PURPOSE_MAX_LENGTH = 30;

const rupees = z.unknown().transform((value, ctx) => {
  const paise = parseRupees(value);
  if (paise === null) {
    ctx.addIssue({ code: "custom", message: "not an amount" });
    return z.NEVER;
  }
  return paise;
});

const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().optional(),
});

const paymentRequestResponse = z.looseObject({
  id: z.string().regex(PAYMENT_REQUEST_ID),
  amount: rupees,
  status: z.string().min(1),
  longurl: z.string().min(1),
  payments: z.array(z.unknown()).nullish(),
});

const paymentResponse = z.looseObject({
  id: z.string().regex(PAYMENT_ID),
  status: z.boolean().nullable(),
  amount: rupees,
  currency: z.string().nullish(),
  payment_request: z.unknown().optional(),
  instrument_type: z.string().nullish(),
  failure: z.looseObject({ reason: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

const refundResponse = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  payment_id: z.string().min(1),
  status: z.string(),
  refund_amount: rupees,
});

export class InstamojoHttpProvider implements PaymentsProvider {
  readonly kind = "instamojo" as const;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly clock: () => number;
  private readonly cacheKey: string;

  constructor(private readonly opts: InstamojoHttpOptions) {
    if (!opts.clientId || !opts.clientSecret) {
      throw new TypeError("InstamojoHttpProvider needs a client id and a client secret");
    }
    this.baseUrl = (opts.baseUrl ?? INSTAMOJO_DEFAULT_BASE_URL).replace(/\/*$/, "/");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.deadlineMs = opts.deadlineMs ?? 25_000;
    this.clock = opts.clock ?? Date.now;
    this.cacheKey = ["instamojo", this.baseUrl, opts.clientId, opts.clientSecret].join("\n");
  }

  async createPaymentRequest(input: CreatePaymentRequestInput): Promise<PaymentRequest> {
    if (!Number.isSafeInteger(input.amountPaise) || input.amountPaise <= 0) {
      throw new TypeError("amountPaise must be a positive integer");
    }
    if (Number.isNaN(input.expiresAt.getTime())) throw new TypeError("expiresAt is not a date");
    const form = new URLSearchParams({
      amount: paiseToRupees(input.amountPaise),
      purpose: truncatePurpose(input.purpose),
      buyer_name: input.buyerName,
      email: input.email,
      redirect_url: input.redirectUrl,
      webhook: input.webhookUrl,
      // Docs contradict on the default: one request is one enrolment's payment, never two.
      allow_repeated_payments: "false",
      // The app sends its own emails and messages.
      send_email: "false",
      send_sms: "false",
      expires_at: input.expiresAt.toISOString(),
    });
    const phone = instamojoPhone(input.phone);
    if (phone) form.set("phone", phone);
    return this.guard("create_request", async () => {
      const res = await this.call("create_request", "POST", "v2/payment_requests/", form);
      if (res.status !== 201 && res.status !== 200) throw await failure("create_request", res);
      return toPaymentRequest(await readSuccess("create_request", res));
    });
  }

  async getPaymentRequest(id: string): Promise<PaymentRequest | null> {
    // Ids may come from unauthenticated redirects: a malformed one names nothing at Instamojo.
    if (!PAYMENT_REQUEST_ID.test(id)) return null;
    return this.guard("get_request", async () => {
      const res = await this.call("get_request", "GET", `v2/payment_requests/${id}/`);
      if (res.status === 200) return toPaymentRequest(await readSuccess("get_request", res));
      const err = await failure("get_request", res);
      if (err.kind === "not_found") return null;
      throw err;
    });
  }

  async getPayment(paymentId: string): Promise<Payment | null> {
    if (!PAYMENT_ID.test(paymentId)) return null;
    return this.guard("get_payment", async () => {
      const res = await this.call("get_payment", "GET", `v2/payments/${paymentId}/`);
      if (res.status === 200) return toPayment(await readSuccess("get_payment", res));
      const err = await failure("get_payment", res);
      if (err.kind === "not_found") return null;
      throw err;
    });
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
    const form = new URLSearchParams({
      transaction_id: input.transactionId,
      type: input.type,
      body: input.reason,
      refund_amount: paiseToRupees(input.amountPaise),
    });
    const path = `v2/payments/${input.paymentId}/refund/`;
    return this.guard(
      "create_refund",
      async () => {
        const deadline = Date.now() + this.deadlineMs;
        let first: InstamojoError | undefined;
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await this.call("create_refund", "POST", path, form, deadline);
            if (res.status !== 201 && res.status !== 200) throw await failure("create_refund", res);
            const body = await readSuccess("create_refund", res);
            return toRefund(isRecord(body) && isRecord(body.refund) ? body.refund : body);
          } catch (err) {
            const failed = asInstamojoError("create_refund", err, this.timeoutMs);
            if (first) {
              // The first attempt may have refunded, and how Instamojo answers a replayed
              // transaction_id is UNCONFIRMED (a 400 is possible): the outcome stays unknown.
              throw new InstamojoError(
                first.kind,
                `${first.message}; the retry failed too (${failed.kind})`,
                { status: first.status },
              );
            }
            // The transaction_id makes a second attempt harmless: Instamojo returns the first.
            if (attempt === 1 && (failed.kind === "server" || failed.kind === "timeout")) {
              first = failed;
              this.opts.logger?.info("instamojo refund retried", {
                provider: "instamojo",
                op: "create_refund",
                kind: failed.kind,
              });
              continue;
            }
            throw failed;
          }
        }
      },
      { transactionId: input.transactionId },
    );
  }

  async getRefund(refundId: string): Promise<Refund | null> {
    if (!REFUND_ID.test(refundId)) return null;
    return this.guard("get_refund", async () => {
      const res = await this.call("get_refund", "GET", `v2/refunds/${refundId}/`);
      if (res.status === 200) {
        const body = await readSuccess("get_refund", res);
        return toRefund(isRecord(body) && isRecord(body.refund) ? body.refund : body);
      }
      const err = await failure("get_refund", res);
      if (err.kind === "not_found") return null;
      throw err;
    });
  }

  /** Runs one operation; whatever fails is logged (safely) and becomes the app's 502. */
  private async guard<T>(
    op: Operation,
    work: () => Promise<T>,
    extra: Record<string, unknown> = {},
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const cause = asInstamojoError(op, err, this.timeoutMs);
      this.opts.logger?.warn("instamojo request failed", {
        provider: "instamojo",
        op,
        kind: cause.kind,
        status: cause.status,
        ...extra,
      });
      throw instamojoServiceError(cause);
    }
  }

  /** One API request with a bearer token, renewed once on 401. Other answers are the caller's. */
  private async call(
    op: Operation,
    method: "GET" | "POST",
    path: string,
    form?: URLSearchParams,
    deadline = Date.now() + this.deadlineMs,
  ): Promise<Response> {
    for (let reauthorised = false; ; reauthorised = true) {
      const token = await this.token(deadline);
      const res = await this.fetchWithin(deadline, `${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
        },
        body: form?.toString(),
      });
      if (res.status !== 401) return res;
      await res.body?.cancel();
      this.forgetToken(token);
      if (reauthorised) {
        throw new InstamojoError("auth", `instamojo ${op}: 401 even with a fresh token`, {
          status: 401,
        });
      }
    }
  }

  private token(deadline: number): Promise<string> {
    return bearerToken(
      {
        key: this.cacheKey,
        clock: this.clock,
        request: () => this.requestToken(deadline),
        timeoutMs: this.timeoutMs,
        fail: (message) => new InstamojoError("timeout", `instamojo token: ${message}`),
      },
      deadline,
    );
  }

  private forgetToken(token: string) {
    forgetToken(this.cacheKey, token);
  }

  private async requestToken(deadline: number): Promise<CachedToken> {
    const res = await this.fetchWithin(deadline, `${this.baseUrl}oauth2/token/`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: this.opts.clientId,
        client_secret: this.opts.clientSecret,
      }).toString(),
    });
    if (!res.ok) {
      const body: unknown = await res.json().catch(() => undefined);
      const code = isRecord(body) ? body.error : undefined;
      // An OAuth error code (`invalid_client`) names the problem and is never a secret.
      const named = typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? ` ${code}` : "";
      const kind = res.status === 429 ? "rate_limited" : res.status >= 500 ? "server" : "auth";
      throw new InstamojoError(kind, `instamojo token request refused (${res.status}${named})`, {
        status: res.status,
      });
    }
    const parsed = tokenResponse.safeParse(await readSuccess("token", res));
    if (!parsed.success) {
      throw new InstamojoError("bad_response", "instamojo token response has no access_token", {
        status: res.status,
      });
    }
    return cachedToken(
      parsed.data.access_token,
      parsed.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_S,
      this.clock(),
    );
  }

  private fetchWithin(deadline: number, url: string, init: RequestInit): Promise<Response> {
    return fetchWithin(url, init, {
      deadline,
      timeoutMs: this.timeoutMs,
      fail: (message) => new InstamojoError("timeout", `instamojo: ${message}`),
    });
  }
}

/**
 * Our reading of Instamojo's refund status text, whose values are UNCONFIRMED: failure words
 * first ("Refund failed" is a failure), then words of progress ("processing", "initiated"),
 * then words of completion ("Refunded", "Completed", "Closed", "Success", "Processed"); anything
 * else stays pending, so an unknown status is polled again rather than trusted.
 */
export function refundState(status: string): RefundState {
  const s = status.toLowerCase();
  if (/fail|reject|cancel|declin|revers/.test(s)) return "failed";
  if (/pending|initiat|processing|queue|open|progress|request/.test(s)) return "pending";
  if (/refund|complet|closed|success|processed|done/.test(s)) return "refunded";
  return "pending";
}

/** `9812345678` for an Indian E.164 number (Instamojo expects no +91); others unchanged. */
export function instamojoPhone(phone: string | null): string | null {
  if (!phone) return null;
  const indian = /^\+91(\d{10})$/.exec(phone.replace(/[\s-]/g, ""));
  return indian?.[1] ?? phone;
}

/** At most 30 characters, cut between code points (never half an emoji). */
export function truncatePurpose(purpose: string): string {
  return Array.from(purpose.trim()).slice(0, PURPOSE_MAX_LENGTH).join("");
}

/** The 32-hex id in a payment request link (`…/v2/payment_requests/{id}/`) or the bare id. */
export function paymentRequestIdOf(link: unknown): string | null {
  if (typeof link !== "string") return null;
  const ids = link.match(/(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])/gi);
  return ids?.at(-1)?.toLowerCase() ?? null;
}

/** The MOJO… id in a payment link or entry of a request's `payments`. */
function paymentIdOf(entry: unknown): string | null {
  const text = isRecord(entry) ? entry.id : entry;
  if (typeof text !== "string") return null;
  return /MOJO[0-9A-Za-z]{1,40}/.exec(text)?.[0] ?? null;
}

function toPaymentRequest(body: unknown): PaymentRequest {
  const parsed = paymentRequestResponse.safeParse(body);
  if (!parsed.success) {
    throw new InstamojoError(
      "bad_response",
      "instamojo payment request lacks id, amount or status",
    );
  }
  const r = parsed.data;
  return {
    id: r.id.toLowerCase(),
    amountPaise: r.amount,
    status: r.status,
    checkoutUrl: r.longurl,
    paymentIds: (r.payments ?? []).map(paymentIdOf).filter((id): id is string => id !== null),
  };
}

function toPayment(body: unknown): Payment {
  const parsed = paymentResponse.safeParse(body);
  if (!parsed.success) {
    throw new InstamojoError("bad_response", "instamojo payment lacks id, status or amount");
  }
  const p = parsed.data;
  return {
    id: p.id,
    status: p.status,
    amountPaise: p.amount,
    currency: p.currency ?? "INR",
    paymentRequestId: paymentRequestIdOf(p.payment_request),
    instrumentType: p.instrument_type ?? null,
    failureReason: p.failure?.reason ?? p.failure?.message ?? null,
    // As Instamojo sent it (amount still "499.00"), for the event timeline.
    raw: body as Record<string, unknown>,
  };
}

function toRefund(body: unknown): Refund {
  const parsed = refundResponse.safeParse(body);
  if (!parsed.success) {
    throw new InstamojoError("bad_response", "instamojo refund lacks id, status or amount");
  }
  const r = parsed.data;
  return {
    id: r.id,
    paymentId: paymentIdOf(r.payment_id) ?? r.payment_id,
    amountPaise: r.refund_amount,
    state: refundState(r.status),
    providerStatus: r.status,
    raw: body as Record<string, unknown>,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON body of a 2xx; `"success": false` in it is Instamojo refusing the request. */
async function readSuccess(op: Operation, res: Response): Promise<unknown> {
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw err;
    }
    throw new InstamojoError(
      "bad_response",
      `instamojo ${op}: ${res.status} with a body that is not JSON`,
      {
        status: res.status,
      },
    );
  }
  if (isRecord(body) && body.success === false) {
    throw new InstamojoError("rejected", `instamojo ${op}: ${res.status} with success false`, {
      status: res.status,
    });
  }
  return body;
}

/** The InstamojoError for a non-success answer: its status only, never its body. */
async function failure(op: Operation, res: Response): Promise<InstamojoError> {
  await res.body?.cancel();
  const where = `instamojo ${op}: ${res.status}`;
  const opts = { status: res.status };
  if (res.status === 404) return new InstamojoError("not_found", `${where}: not found`, opts);
  if (res.status === 429) return new InstamojoError("rate_limited", `${where}: rate limited`, opts);
  if (res.status >= 500) return new InstamojoError("server", `${where}: Instamojo failed`, opts);
  if (res.status >= 400) {
    return new InstamojoError("rejected", `${where}: Instamojo refused the request`, opts);
  }
  return new InstamojoError("bad_response", `${where}: unexpected status`, opts);
}

function asInstamojoError(op: Operation, err: unknown, timeoutMs: number): InstamojoError {
  if (err instanceof InstamojoError) return err;
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return new InstamojoError("timeout", `instamojo ${op}: no answer within ${timeoutMs} ms`);
  }
  // Network errors may quote the URL: keep only their name.
  return new InstamojoError(
    "unreachable",
    `instamojo ${op}: request failed (${err instanceof Error ? err.name : "unknown"})`,
  );
}
