import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tz } from "./columns";

/** Aggregated limiter outcomes per policy, key and minute, flushed in batches by isolates. */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    policy: text().notNull(),
    key: text().notNull(),
    bucketStart: timestamp("bucket_start", tz).notNull(),
    allowed: integer().notNull().default(0),
    denied: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.policy, t.key, t.bucketStart] }),
    // "Most limited keys" over a recent window; retention by time.
    index("rate_limit_counters_bucket_idx").on(t.bucketStart.desc()),
  ],
);
