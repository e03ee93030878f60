import { sql } from "drizzle-orm";
import { check, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tz } from "./columns";

/**
 * Keys the database itself needs, e.g. `db_context`: the HMAC key that proves a request context
 * was set by the Worker (migration 0011). Owned by app_owner with no grant to app_runtime:
 * only SECURITY DEFINER functions read it. Written by the owner (scripts/lib/db.ts
 * `installContextKey`, or `app_install_context_key()` in production), never by the Worker.
 */
export const appKeys = pgTable(
  "app_keys",
  {
    name: text().primaryKey(),
    key: text().notNull(),
    installedAt: timestamp("installed_at", tz).notNull().defaultNow(),
  },
  (t) => [check("app_keys_key_length_check", sql`length(${t.key}) >= 32`)],
);
