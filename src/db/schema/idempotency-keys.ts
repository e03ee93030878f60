import { sql } from "drizzle-orm";
import {
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { tz } from "./columns";

export const idempotencyStates = ["in_flight", "completed"] as const;
export type IdempotencyState = (typeof idempotencyStates)[number];

/**
 * One `Idempotency-Key` per caller (src/lib/idempotency): claimed while its request runs (a
 * lease), then the stored response that every retry replays, for 24 hours.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    /** Whose key: `user:<id>`, or `ip:<address>` (an IPv6 /64) for anonymous callers. */
    scope: text().notNull(),
    key: text().notNull(),
    /** hex SHA-256 of method, path and canonical body: a reuse for another request is 422. */
    fingerprint: text().notNull(),
    /** Names the claim: only the request holding it may complete or release the key. */
    token: uuid().notNull(),
    state: text({ enum: idempotencyStates }).notNull().default("in_flight"),
    /** In flight: until when the claim holds; past it, a retry may claim the key again. */
    lockedUntil: timestamp("locked_until", tz),
    responseStatus: smallint("response_status"),
    /** The headers a replay repeats (Content-Type, Location, …), names in lower case. */
    responseHeaders: jsonb("response_headers").$type<Record<string, string>>(),
    /** The body exactly as first sent (text, not jsonb: a replay is byte for byte). */
    responseBody: text("response_body"),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    completedAt: timestamp("completed_at", tz),
    expiresAt: timestamp("expires_at", tz).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    check("idempotency_keys_state_check", sql`${t.state} in ('in_flight', 'completed')`),
    check("idempotency_keys_key_check", sql`length(${t.key}) between 1 and 255`),
    check(
      "idempotency_keys_state_fields_check",
      sql`(${t.state} = 'in_flight' and ${t.lockedUntil} is not null) or (${t.state} = 'completed' and ${t.responseStatus} is not null)`,
    ),
    // Retention (src/jobs/maintenance.ts): records past their 24 hours.
    index("idempotency_keys_expires_at_idx").on(t.expiresAt),
  ],
);

export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
