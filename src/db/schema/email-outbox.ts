import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";

export const emailStatuses = ["stored", "sent", "failed"] as const;

/**
 * Every transactional email: in development the message stops here (the dev console prints
 * its links); in production it records what was handed to the provider.
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid().primaryKey().defaultRandom(),
    toAddress: text("to_address").notNull(),
    subject: text().notNull(),
    template: text().notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body"),
    /** Action links in the message (verification, reset), for the dev console. */
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
