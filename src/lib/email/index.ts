/**
 * Transactional email. `createEmailSender` picks the provider from config:
 * - `resend`: real delivery (production, staging), every attempt recorded in `email_outbox`;
 * - `outbox`: development/tests, the message goes no further and its links are printed.
 * `email_outbox` holds metadata only (recipient, template, subject, status, provider id): the
 * body and links carry live tokens and are never stored.
 *
 * `db` is an HTTP-path handle: each send writes its outbox row as one self-contained
 * system-context statement (one round trip, its own transaction). Send after your own transaction commits (e.g. in
 * `waitUntil`), so a rolled-back change never mails a link that does not work.
 */
import type { HttpDatabase } from "../../db/client";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { OutboxEmailSender } from "./outbox";
import { ResendEmailSender } from "./resend";
import type { EmailProvider, EmailSender } from "./types";

export { devMailbox, OutboxEmailSender, recordOutbox } from "./outbox";
export { RESEND_DEFAULT_BASE_URL, ResendEmailSender } from "./resend";
export * from "./templates";
export type { EmailMessage, EmailProvider, EmailSender, SendResult } from "./types";

export interface EmailSenderOptions {
  provider: EmailProvider;
  /** Required for `resend`. */
  apiKey?: string;
  from: string;
  baseUrl?: string;
  db: HttpDatabase;
  timeoutMs?: number;
  logger?: Logger;
}

export function createEmailSender(opts: EmailSenderOptions): EmailSender {
  if (opts.provider === "outbox") return new OutboxEmailSender(opts.db);
  if (!opts.apiKey) {
    throw new AppError({
      code: "BAD_ENVIRONMENT",
      detail: "The service is misconfigured. The operators have been notified.",
    });
  }
  return new ResendEmailSender({
    apiKey: opts.apiKey,
    from: opts.from,
    db: opts.db,
    baseUrl: opts.baseUrl,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
  });
}
