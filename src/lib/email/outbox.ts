import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailOutbox } from "../../db/schema";
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
 * Writes one `email_outbox` row in its own short transaction as `app.role = system` (RLS lets
 * only trusted internals write it). Its own transaction so a failed send stays recorded even
 * when the caller's work rolls back; pass the request's `Database`, not a transaction.
 */
export async function recordOutbox(db: Database, record: OutboxRecord): Promise<void> {
  const { message } = record;
  await db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.role', 'system', true)`);
    await tx.insert(emailOutbox).values({
      id: record.id,
      toAddress: message.to,
      subject: message.subject,
      template: message.template,
      textBody: message.text,
      htmlBody: message.html ?? null,
      links: message.links ?? [],
      status: record.status,
      provider: record.provider,
      providerMessageId: record.providerMessageId ?? null,
      error: record.error ?? null,
      sentAt: record.status === "sent" ? new Date() : null,
    });
  });
}

/**
 * Development sender: the message stops in `email_outbox` (status `stored`) and its links are
 * printed on the console, so `npm run dev` users can click through verification and resets.
 */
export class OutboxEmailSender implements EmailSender {
  constructor(private readonly db: Database) {}

  async send(message: EmailMessage): Promise<SendResult> {
    const id = crypto.randomUUID();
    await recordOutbox(this.db, { id, message, status: "stored", provider: "outbox" });
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
