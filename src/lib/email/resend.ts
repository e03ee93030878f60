/**
 * Resend (https://resend.com/docs/api-reference/emails/send-email): `POST /emails` with a bearer
 * API key. Every attempt is recorded in `email_outbox`; any failure surfaces as a 502
 * EXTERNAL_SERVICE_ERROR whose message and cause never contain the API key.
 */
import type { HttpDatabase } from "../../db/client";
import { externalServiceError } from "../errors";
import type { Logger } from "../logger";
import { recordOutbox } from "./outbox";
import type { EmailMessage, EmailSender, SendResult } from "./types";

export const RESEND_DEFAULT_BASE_URL = "https://api.resend.com";

export interface ResendOptions {
  apiKey: string;
  /** `Name <address@verified-domain>`. */
  from: string;
  db: HttpDatabase;
  /** Tests point this at the local fake. */
  baseUrl?: string;
  timeoutMs?: number;
  logger?: Logger;
}

/** Why a send failed, safe to store and log (provider's own words, key redacted). */
class EmailDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "EmailDeliveryError";
  }
}

export class ResendEmailSender implements EmailSender {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ResendOptions) {
    if (!opts.apiKey) throw new Error("ResendEmailSender needs an API key");
    this.baseUrl = (opts.baseUrl ?? RESEND_DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(message: EmailMessage): Promise<SendResult> {
    const outboxId = crypto.randomUUID();
    let providerId: string;
    try {
      providerId = await this.post(message, message.idempotencyKey ?? outboxId);
    } catch (err) {
      const failure = this.describe(err);
      this.opts.logger?.warn("email send failed", {
        provider: "resend",
        template: message.template,
        status: failure.status,
        error: failure.message,
      });
      await recordOutbox(this.opts.db, {
        id: outboxId,
        message,
        status: "failed",
        provider: "resend",
        error: failure.message,
      });
      throw externalServiceError("email", failure);
    }
    await recordOutbox(this.opts.db, {
      id: outboxId,
      message,
      status: "sent",
      provider: "resend",
      providerMessageId: providerId,
    });
    return { id: providerId, provider: "resend", outboxId };
  }

  private async post(message: EmailMessage, idempotencyKey: string): Promise<string> {
    const res = await fetch(`${this.baseUrl}/emails`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${this.opts.apiKey}`,
        "Content-Type": "application/json",
        "Idempotency-Key": idempotencyKey,
      },
      body: JSON.stringify({
        from: this.opts.from,
        to: [message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
        tags: [{ name: "template", value: message.template }],
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const { name, message: detail } = (body ?? {}) as { name?: unknown; message?: unknown };
      throw new EmailDeliveryError(
        `resend answered ${res.status} ${typeof name === "string" ? name : "error"}: ${
          typeof detail === "string" ? detail.slice(0, 200) : "(no message)"
        }`,
        res.status,
      );
    }
    const id = (body as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string" || !id) {
      throw new EmailDeliveryError(`resend answered ${res.status} without a message id`);
    }
    return id;
  }

  /** One safe error for logs, the outbox and the 502's cause. */
  private describe(err: unknown): EmailDeliveryError {
    let message: string;
    if (err instanceof EmailDeliveryError) message = err.message;
    else if (err instanceof Error && err.name === "TimeoutError") {
      message = `resend did not answer within ${this.timeoutMs} ms`;
    } else {
      message = `resend request failed (${err instanceof Error ? err.name : "unknown"})`;
    }
    // The provider could echo the key back; a fresh error keeps it out of the stack too.
    return new EmailDeliveryError(
      message.replaceAll(this.opts.apiKey, "[redacted]"),
      err instanceof EmailDeliveryError ? err.status : undefined,
    );
  }
}
