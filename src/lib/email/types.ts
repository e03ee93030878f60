/** One transactional email, provider-neutral. */
export interface EmailMessage {
  /** A single recipient address. */
  to: string;
  subject: string;
  /** Template name (e.g. `password_reset`): stored in the outbox and sent as a provider tag. */
  template: string;
  text: string;
  html?: string;
  /** Action links in the message; the dev outbox prints them on the console. */
  links?: string[];
  /** Lets a retried send be deduplicated by the provider; defaults to the outbox row id. */
  idempotencyKey?: string;
}

export interface SendResult {
  /** The provider's message id (for the dev outbox: the outbox row id). */
  id: string;
  provider: EmailProvider;
  /** The `email_outbox` row recording this send. */
  outboxId: string;
}

export type EmailProvider = "resend" | "outbox";

export interface EmailSender {
  /** Sends (or stores) the message and records it in `email_outbox`; provider failure → 502. */
  send(message: EmailMessage): Promise<SendResult>;
}
