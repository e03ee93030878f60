import type { HttpDatabase } from "../../db/client";
import { emailOutbox } from "../../db/schema";
import { runAs, SYSTEM } from "../../db/transaction";
import type { EmailMessage, EmailProvider, EmailSender, SendResult } from "./types";

export interface OutboxRecord {
  id: string;
  message: EmailMessage;
  status: "stored" | "sent" | "failed";
  provider: EmailProvider;
  providerMessageId?: string;
  error?: string;
}

/**
 * Writes one `email_outbox` row in its own transaction in the system context (RLS lets only
 * trusted internals write it): one HTTP round trip. Its own transaction so a failed send stays
 * recorded even when the caller's work rolls back.
 *
 * Metadata only: recipient, template, subject, provider, status, provider id, error. Never the
 * body or its links, which carry live tokens (the database blanks them too, migration 0010).
 */
export async function recordOutbox(db: HttpDatabase, record: OutboxRecord): Promise<void> {
  const { message } = record;
  await runAs(db, SYSTEM, async (q) => {
    await q.insert(emailOutbox).values({
      id: record.id,
      toAddress: message.to,
      subject: message.subject,
      template: message.template,
      status: record.status,
      provider: record.provider,
      providerMessageId: record.providerMessageId ?? null,
      error: record.error ?? null,
      sentAt: record.status === "sent" ? new Date() : null,
    });
  });
}

/**
 * Development sender (EMAIL_PROVIDER=outbox, refused in staging and production): the message
 * stops here. `email_outbox` gets its metadata (status `stored`); its links go only to the
 * console line below, which `npm run dev` turns into ready-to-run curl commands, and to the
 * isolate's `devMailbox`, where tests pick up the tokens. Neither is storage.
 */
export class OutboxEmailSender implements EmailSender {
  constructor(private readonly db: HttpDatabase) {}

  async send(message: EmailMessage): Promise<SendResult> {
    const id = crypto.randomUUID();
    await recordOutbox(this.db, { id, message, status: "stored", provider: "outbox" });
    devMailbox.put(id, message);
    console.info(
      JSON.stringify({
        level: "info",
        msg: "email (dev outbox)",
        to: message.to,
        subject: message.subject,
        links: message.links ?? [],
      }),
    );
    return { id, provider: "outbox", outboxId: id };
  }
}

/**
 * The last messages the development sender handled in this isolate (memory only, bounded):
 * what a developer would have received. Tests read verification and reset links from here.
 */
export const devMailbox = {
  messages: new Map<string, EmailMessage>(),
  limit: 200,
  put(id: string, message: EmailMessage) {
    this.messages.set(id, message);
    for (const key of this.messages.keys()) {
      if (this.messages.size <= this.limit) break;
      this.messages.delete(key);
    }
  },
  get(id: string): EmailMessage | undefined {
    return this.messages.get(id);
  },
};
