/**
 * Twilio Programmable Messaging (PROVIDERS.md §6) as an `SmsChannel`:
 * `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, Basic AccountSid:AuthToken,
 * form-encoded `To`, `From` or `MessagingServiceSid`, `Body`, `StatusCallback`.
 *
 * Classification: 5xx, 429 (Twilio 20429) and 21611 (the sender's queue is full), timeouts and
 * network errors are retryable; other 4xx (21211 bad number, 21610 opted out, 20003 auth) are
 * final. Twilio's Messages API takes no idempotency key, so a send that timed out may have gone
 * out and its retry can duplicate the SMS: the outbox should keep SMS retries few.
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
  type SmsChannel,
  type SmsSend,
  TRANSPORT_CODES,
} from "../messaging/types";
import { basicAuth } from "./basic";

export const TWILIO_API_BASE_URL = "https://api.twilio.com";
export const SMS_BODY_LIMIT = 1600;

export interface TwilioChannelOptions extends HttpAdapterOptions {
  accountSid: string;
  authToken: string;
  /** A Twilio number (E.164) or an alphanumeric sender id; or use messagingServiceSid. */
  from?: string;
  messagingServiceSid?: string;
  /** Used when a send names none. */
  statusCallbackUrl?: string;
}

const RETRYABLE_CODES = new Set([20429, 21611]);

export class TwilioSmsChannel implements SmsChannel {
  readonly provider = "twilio";
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: TwilioChannelOptions) {
    if (!/^AC[0-9a-fA-F]{32}$/.test(opts.accountSid ?? "") || !opts.authToken) {
      throw new TypeError("TwilioSmsChannel needs an account SID (AC…) and an auth token");
    }
    if (!opts.from && !opts.messagingServiceSid) {
      throw new TypeError("TwilioSmsChannel needs from or messagingServiceSid");
    }
    const base = (opts.baseUrl ?? TWILIO_API_BASE_URL).replace(/\/+$/, "");
    this.url = `${base}/2010-04-01/Accounts/${opts.accountSid}/Messages.json`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = opts.fetch ?? ((...args) => fetch(...args));
  }

  async send(m: SmsSend): Promise<SendOutcome> {
    if (!E164.test(m.to)) return invalidRequest(this.provider, "the recipient is not E.164");
    if (!m.body || m.body.length > SMS_BODY_LIMIT) {
      return invalidRequest(this.provider, `a body of 1 to ${SMS_BODY_LIMIT} characters`);
    }
    const form = new URLSearchParams({ To: m.to, Body: m.body });
    // A messaging service picks the sender (and carries India's DLT registration) when set.
    if (this.opts.messagingServiceSid) {
      form.set("MessagingServiceSid", this.opts.messagingServiceSid);
    } else if (this.opts.from) {
      form.set("From", this.opts.from);
    }
    const callback = m.statusCallbackUrl ?? this.opts.statusCallbackUrl;
    if (callback) form.set("StatusCallback", callback);

    const sent = await exchange(
      this.url,
      {
        method: "POST",
        headers: {
          Authorization: basicAuth(this.opts.accountSid, this.opts.authToken),
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: form.toString(),
      },
      {
        provider: this.provider,
        timeoutMs: this.timeoutMs,
        fetch: this.fetch,
        secrets: [this.opts.authToken],
      },
    );
    if (!sent.ok) return sent.failure;
    const { answer } = sent;
    const json = (answer.json ?? {}) as { sid?: unknown; code?: unknown; message?: unknown };
    if (answer.status >= 200 && answer.status < 300) {
      if (typeof json.sid === "string" && /^(SM|MM)[0-9a-fA-F]{32}$/.test(json.sid)) {
        return { ok: true, providerMessageId: json.sid };
      }
      return {
        ok: false,
        retryable: false,
        status: answer.status,
        code: TRANSPORT_CODES.BAD_RESPONSE,
        error: `twilio: HTTP ${answer.status} without a message SID`,
      };
    }
    const code = typeof json.code === "number" && Number.isInteger(json.code) ? json.code : null;
    const detail = safeDetail(json.message, [this.opts.authToken]);
    return httpFailure(answer, {
      provider: this.provider,
      code: code !== null ? `TWILIO_${code}` : undefined,
      detail: [code !== null ? `(${code})` : "", detail].filter(Boolean).join(" "),
      retryable: code !== null && RETRYABLE_CODES.has(code) ? true : undefined,
    });
  }
}

export function createTwilioChannel(options: TwilioChannelOptions): SmsChannel {
  return new TwilioSmsChannel(options);
}
