/**
 * Resend's send-email API (PROVIDERS.md §5) as an `EmailChannel`: `POST {base}/emails` with a
 * bearer key and `Idempotency-Key` = the outbox's key, so a retried attempt is delivered once.
 *
 * Classification: 5xx, 429 (with Retry-After), timeouts, network errors and a 409
 * `concurrent_idempotent_requests` (the first attempt is still in flight) are retryable; a
 * 409 `invalid_idempotent_request` (same key, different body: a bug) and every other 4xx are not.
 */
import {
  DEFAULT_TIMEOUT_MS,
  exchange,
  httpFailure,
  invalidRequest,
  safeDetail,
} from "../messaging/http";
import {
  type EmailChannel,
  type EmailSend,
  type HttpAdapterOptions,
  type SendOutcome,
  TRANSPORT_CODES,
} from "../messaging/types";

export const RESEND_API_BASE_URL = "https://api.resend.com";

export interface ResendChannelOptions extends HttpAdapterOptions {
  apiKey: string;
  /** `Name <address@verified-domain>`. */
  from: string;
  replyTo?: string;
}

/** Resend error names that mean "the same request may succeed later". */
const RETRYABLE_NAMES = new Set([
  "concurrent_idempotent_requests",
  "rate_limit_exceeded",
  "application_error",
  "internal_server_error",
]);
/** Resend's own names that never succeed on retry, whatever the status says. */
const FINAL_NAMES = new Set(["invalid_idempotent_request"]);

const NAME = /^[a-z_]{1,60}$/;

export class ResendChannel implements EmailChannel {
  readonly provider = "resend";
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ResendChannelOptions) {
    if (!opts.apiKey || !opts.from) throw new TypeError("ResendChannel needs an API key and from");
    this.baseUrl = (opts.baseUrl ?? RESEND_API_BASE_URL).replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = opts.fetch ?? ((...args) => fetch(...args));
  }

  async send(m: EmailSend): Promise<SendOutcome> {
    const key = m.idempotencyKey;
    if (!key || key.length > 256) {
      return invalidRequest(this.provider, "an idempotency key of 1 to 256 characters is required");
    }
    const body = {
      from: this.opts.from,
      to: [m.to],
      subject: m.subject,
      text: m.text,
      ...(m.html !== undefined ? { html: m.html } : {}),
      ...(m.tags?.length ? { tags: m.tags } : {}),
      ...(m.headers && Object.keys(m.headers).length ? { headers: m.headers } : {}),
      ...(this.opts.replyTo ? { reply_to: this.opts.replyTo } : {}),
    };
    const sent = await exchange(
      `${this.baseUrl}/emails`,
      {
        method: "POST",
        headers: {
          Authorization: `Bearer ${this.opts.apiKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": key,
        },
        body: JSON.stringify(body),
      },
      {
        provider: this.provider,
        timeoutMs: this.timeoutMs,
        fetch: this.fetch,
        secrets: [this.opts.apiKey],
      },
    );
    if (!sent.ok) return sent.failure;
    const { answer } = sent;
    const json = (answer.json ?? {}) as { id?: unknown; name?: unknown; message?: unknown };
    if (answer.status >= 200 && answer.status < 300) {
      if (typeof json.id === "string" && json.id) return { ok: true, providerMessageId: json.id };
      // Sent or not, the idempotency key makes asking again safe.
      return {
        ok: false,
        retryable: true,
        status: answer.status,
        code: TRANSPORT_CODES.BAD_RESPONSE,
        error: `resend: HTTP ${answer.status} without a message id`,
      };
    }
    const name = typeof json.name === "string" && NAME.test(json.name) ? json.name : undefined;
    const detail = safeDetail(json.message, [this.opts.apiKey]);
    return httpFailure(answer, {
      provider: this.provider,
      code: name ? `RESEND_${name.toUpperCase()}` : undefined,
      detail: [name, detail].filter(Boolean).join(": "),
      retryable:
        name && FINAL_NAMES.has(name)
          ? false
          : name && RETRYABLE_NAMES.has(name)
            ? true
            : undefined,
    });
  }
}

export function createResendChannel(options: ResendChannelOptions): EmailChannel {
  return new ResendChannel(options);
}
