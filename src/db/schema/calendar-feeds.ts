import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";
import { users } from "./users";

/**
 * A student's calendar feed (`/v1/me/schedule.ics?token=…`): calendar apps cannot send
 * headers, so the URL carries a token. Only its SHA-256 is stored; one feed per user, replaced
 * when rotated and deleted when revoked, so an old URL stops working at once.
 */
export const calendarFeeds = pgTable("calendar_feeds", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  tokenHash: text("token_hash").notNull().unique("calendar_feeds_token_hash_key"),
  createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  lastUsedAt: timestamp("last_used_at", tz),
});
