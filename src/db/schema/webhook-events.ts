import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tz } from "./columns";

/**
 * Webhook deliveries already recorded, by provider and a key that is the same for every retry
 * of one event: the handler inserts first and acts only when the insert was new, so a retried
 * or duplicated delivery changes nothing. Purged after the retention period (providers stop
 * retrying within days).
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    provider: text().notNull(),
    eventKey: text("event_key").notNull(),
    event: text().notNull(),
    receivedAt: timestamp("received_at", tz).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "webhook_events_pkey", columns: [t.provider, t.eventKey] }),
    // The retention purge.
    index("webhook_events_received_idx").on(t.receivedAt),
  ],
);
