import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";
import { users } from "./users";

export const tokenPurposes = [
  "email_verification",
  "password_reset",
  "admin_request_verification",
  "account_invitation",
] as const;
export type TokenPurpose = (typeof tokenPurposes)[number];

/** Single-use, purpose-bound, expiring tokens sent by email; stored only as SHA-256. */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text({ enum: tokenPurposes }).notNull(),
    tokenHash: text("token_hash").notNull(),
    /** What the token acts on besides the user, e.g. an admin request id. */
    subjectId: uuid("subject_id"),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", tz).notNull(),
    usedAt: timestamp("used_at", tz),
  },
  (t) => [
    uniqueIndex("one_time_tokens_token_hash_key").on(t.tokenHash),
    check(
      "one_time_tokens_purpose_check",
      sql`${t.purpose} in ('email_verification', 'password_reset', 'admin_request_verification', 'account_invitation')`,
    ),
    // Invalidate a user's outstanding tokens of one purpose when a new one is issued.
    index("one_time_tokens_user_purpose_idx").on(t.userId, t.purpose),
    index("one_time_tokens_expires_at_idx").on(t.expiresAt),
  ],
);

export type OneTimeToken = typeof oneTimeTokens.$inferSelect;
