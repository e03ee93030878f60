/**
 * WhatsApp Business Cloud API (PROVIDERS.md §3) as a `WhatsAppChannel`:
 * `POST {base}/{version}/{phoneNumberId}/messages` with a bearer token; `to` is the E.164
 * number without "+". Text messages, and templates with body parameters.
 *
 * Classification by Graph error code first, then by HTTP status:
 * - 131047 (outside the 24-hour window): final, code WHATSAPP_WINDOW_CLOSED (send a template);
 * - 130429 (number throughput), 131056 (same user too often), 80007/4 (rate limits), 131000,
 *   131016, 133004, 1, 2 (Meta-side trouble): retryable;
 * - any other code: 5xx/429 retryable, other 4xx final (190 = bad token, 100 = bad parameter).
 *
 * The Cloud API has no idempotency key: a timed-out send may have gone out, so a retry can
 * duplicate it. `biz_opaque_callback_data` carries our key, and Meta echoes it in status
 * webhooks (per Meta's docs; not in PROVIDERS.md), so duplicates can at least be traced.
 */
import {
  DEFAULT_TIMEOUT_MS,
  E164,
  exchange,
  httpFailure,
  invalidRequest,
  safeDetail,
} from "../messaging/http";
import {
  type HttpAdapterOptions,
  type SendOutcome,
  TRANSPORT_CODES,
  type WhatsAppChannel,
  type WhatsAppSend,
} from "../messaging/types";

export const WHATSAPP_GRAPH_BASE_URL = "https://graph.facebook.com";
/** Pinned: Graph API versions change payloads and are retired on a schedule. */
export const WHATSAPP_API_VERSION = "v21.0";
export const WHATSAPP_WINDOW_CLOSED = "WHATSAPP_WINDOW_CLOSED";

export interface WhatsAppChannelOptions extends HttpAdapterOptions {
  accessToken: string;
  phoneNumberId: string;
  apiVersion?: string;
}

/** Graph error codes for which the same send may succeed later. */
const RETRYABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004]);
/** When Meta sends no Retry-After: its documented pace to one user is ~1 message / 6 s. */
const DEFAULT_WAIT: Record<number, number> = { 131056: 6 };
const BODY_LIMIT = 4096;

interface GraphError {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  error_data?: { details?: unknown };
}

export class WhatsAppCloudChannel implements WhatsAppChannel {
  readonly provider = "whatsapp";
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: WhatsAppChannelOptions) {
    if (!opts.accessToken || !/^\d{1,30}$/.test(opts.phoneNumberId ?? "")) {
      throw new TypeError("WhatsAppCloudChannel needs an access token and a numeric phone id");
    }
    const version = opts.apiVersion ?? WHATSAPP_API_VERSION;
    if (!/^v\d+\.\d+$/.test(version)) throw new TypeError("apiVersion looks like v21.0");
    const base = (opts.baseUrl ?? WHATSAPP_GRAPH_BASE_URL).replace(/\/+$/, "");
    this.url = `${base}/${version}/${opts.phoneNumberId}/messages`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = opts.fetch ?? ((...args) => fetch(...args));
  }

  async send(m: WhatsAppSend): Promise<SendOutcome> {
    if (!E164.test(m.to)) return invalidRequest(this.provider, "the recipient is not E.164");
    const common = {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: m.to.slice(1),
      biz_opaque_callback_data: m.idempotencyKey.slice(0, 512),
    };
    let body: Record<string, unknown>;
    if (m.kind === "text") {
      if (!m.body || m.body.length > BODY_LIMIT) {
        return invalidRequest(this.provider, `a text body of 1 to ${BODY_LIMIT} characters`);
      }
      body = { ...common, type: "text", text: { preview_url: false, body: m.body } };
    } else {
      body = {
        ...common,
        type: "template",
        template: {
          name: m.name,
          language: { code: m.language },
          ...(m.params.length
            ? {
                components: [
                  {
                    type: "body",
                    parameters: m.params.map((text) => ({ type: "text", text })),
                  },
                ],
              }
            : {}),
        },
      };
    }
    const sent = await exchange(
      this.url,
      {
        method: "POST",
        headers: {
          Authorization: `Bearer ${this.opts.accessToken}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
      },
      {
        provider: this.provider,
        timeoutMs: this.timeoutMs,
        fetch: this.fetch,
        secrets: [this.opts.accessToken],
      },
    );
    if (!sent.ok) return sent.failure;
    const { answer } = sent;
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { messages?: { id?: unknown }[] } | undefined)?.messages?.[0]?.id;
      if (typeof id === "string" && id) return { ok: true, providerMessageId: id };
      // Accepted, but unknowable: sending again could deliver it twice.
      return {
        ok: false,
        retryable: false,
        status: answer.status,
        code: TRANSPORT_CODES.BAD_RESPONSE,
        error: `whatsapp: HTTP ${answer.status} without a message id`,
      };
    }
    return this.failure(answer);
  }

  private failure(answer: Parameters<typeof httpFailure>[0]): SendOutcome {
    const error = ((answer.json as { error?: GraphError } | undefined)?.error ?? {}) as GraphError;
    const code = typeof error.code === "number" && Number.isInteger(error.code) ? error.code : null;
    const secrets = [this.opts.accessToken];
    const detail = [
      code !== null ? `(#${code})` : "",
      safeDetail(error.message, secrets),
      safeDetail(error.error_data?.details, secrets),
    ]
      .filter(Boolean)
      .join(" ");
    if (code === 131047) {
      return {
        ok: false,
        retryable: false,
        status: answer.status,
        code: WHATSAPP_WINDOW_CLOSED,
        error: `whatsapp: outside the 24-hour window, send a template instead ${detail}`.trim(),
      };
    }
    const outcome = httpFailure(answer, {
      provider: this.provider,
      code: code !== null ? `WHATSAPP_${code}` : undefined,
      detail,
      retryable: code !== null && RETRYABLE_CODES.has(code) ? true : undefined,
    });
    if (!outcome.ok && outcome.retryable && outcome.retryAfterSeconds === undefined && code) {
      const wait = DEFAULT_WAIT[code];
      if (wait !== undefined) outcome.retryAfterSeconds = wait;
    }
    return outcome;
  }
}

export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  return new WhatsAppCloudChannel(options);
}
