/**
 * The provider-neutral contract of outbound messaging (email, WhatsApp, SMS). The outbox
 * calls `send` once per attempt with a stable `idempotencyKey`; an adapter never throws for a
 * provider failure: it answers a `SendOutcome` the outbox can act on (retry later or give up).
 */

export type Channel = "email" | "whatsapp" | "sms";

export interface EmailSend {
  to: string;
  subject: string;
  text: string;
  html?: string;
  tags?: { name: string; value: string }[];
  headers?: Record<string, string>;
  idempotencyKey: string;
}

export type WhatsAppSend = { to: string /* E.164 */; idempotencyKey: string } & (
  | { kind: "text"; body: string }
  | { kind: "template"; name: string; language: string; params: string[] }
);

export interface SmsSend {
  to: string /* E.164 */;
  body: string;
  idempotencyKey: string;
  statusCallbackUrl?: string;
}

export type SendOutcome =
  | { ok: true; providerMessageId: string }
  | {
      ok: false;
      retryable: boolean;
      retryAfterSeconds?: number;
      code?: string;
      /** Safe to store: never contains secrets. */
      error: string;
      /** The provider's HTTP status, when it answered at all. */
      status?: number;
    };

export type SendFailure = Extract<SendOutcome, { ok: false }>;

export interface EmailChannel {
  readonly provider: string;
  send(m: EmailSend): Promise<SendOutcome>;
}
export interface WhatsAppChannel {
  readonly provider: string;
  send(m: WhatsAppSend): Promise<SendOutcome>;
}
export interface SmsChannel {
  readonly provider: string;
  send(m: SmsSend): Promise<SendOutcome>;
}

/** Codes every adapter may answer besides its provider's own (`RESEND_…`, `WHATSAPP_…`, …). */
export const TRANSPORT_CODES = {
  TIMEOUT: "TIMEOUT",
  NETWORK: "NETWORK",
  RATE_LIMITED: "RATE_LIMITED",
  BAD_RESPONSE: "BAD_RESPONSE",
  INVALID_REQUEST: "INVALID_REQUEST",
} as const;

/** What every real adapter's options share. */
export interface HttpAdapterOptions {
  /** The provider's API origin; tests point it at a local fake. */
  baseUrl?: string;
  /** Per request, headers and body (default 10 s). */
  timeoutMs?: number;
  /** Tests: a stand-in fetch (default the global one). */
  fetch?: typeof fetch;
}
