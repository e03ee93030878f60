import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";

export const emailStatuses = ["stored", "sent", "failed"] as const;

/**
 * LEGACY, no longer written: the record of emails sent before every message went through the
 * transactional outbox (`notifications`, src/lib/notifications). Metadata only: recipient,
 * template, subject, provider, status and the provider's message id, never the body or its
 * links (they carried live tokens). The `email_outbox_no_content` trigger (migration 0010)
 * blanks the content columns whatever a writer sends. The maintenance job's retention purge
 * drains what is left (src/jobs/maintenance.ts); the table can be dropped once it is empty.
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
