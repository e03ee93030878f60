import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";

export const emailStatuses = ["stored", "sent", "failed"] as const;

/**
 * Every transactional email, as metadata only: recipient, template, subject, provider, status
 * and the provider's message id. Never the body or its links: they carry live tokens (password
 * reset, verification). The `email_outbox_no_content` trigger (migration 0010) blanks the
 * legacy content columns whatever a writer sends; they are dropped in a later release.
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid().primaryKey().defaultRandom(),
    toAddress: text("to_address").notNull(),
    subject: text().notNull(),
    template: text().notNull(),
    /** Deprecated: always NULL (trigger). Bodies carry tokens; they are never stored. */
    textBody: text("text_body"),
    /** Deprecated: always NULL (trigger). */
    htmlBody: text("html_body"),
    /** Deprecated: always `[]` (trigger). The dev console gets links from the log line. */
    links: jsonb().$type<string[]>().notNull().default([]),
    status: text({ enum: emailStatuses }).notNull(),
    provider: text().notNull(),
    providerMessageId: text("provider_message_id"),
    error: text(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    sentAt: timestamp("sent_at", tz),
  },
  (t) => [
    check("email_outbox_status_check", sql`${t.status} in ('stored', 'sent', 'failed')`),
    index("email_outbox_created_at_idx").on(t.createdAt.desc()),
    index("email_outbox_to_idx").on(t.toAddress, t.createdAt.desc()),
  ],
);

export type EmailOutboxRow = typeof emailOutbox.$inferSelect;
