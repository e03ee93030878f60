import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";
import { users } from "./users";

export const adminRequestStatuses = [
  "pending_verification",
  "verified",
  "approved",
  "rejected",
] as const;
export type AdminRequestStatus = (typeof adminRequestStatuses)[number];

/** A user's request to become an admin: verified by email, decided by a super admin. */
export const adminRequests = pgTable(
  "admin_requests",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    phone: text().notNull(),
    reason: text().notNull(),
    status: text({ enum: adminRequestStatuses }).notNull().default("pending_verification"),
    verifiedAt: timestamp("verified_at", tz),
    decidedAt: timestamp("decided_at", tz),
    decidedBy: uuid("decided_by").references(() => users.id, { onDelete: "set null" }),
    decisionReason: text("decision_reason"),
    ...timestamps,
  },
  (t) => [
    check(
      "admin_requests_status_check",
      sql`${t.status} in ('pending_verification', 'verified', 'approved', 'rejected')`,
    ),
    // At most one open request per user.
    uniqueIndex("admin_requests_one_open_per_user")
      .on(t.userId)
      .where(sql`${t.status} in ('pending_verification', 'verified')`),
    // Super admin list filtered by status, newest first.
    index("admin_requests_status_created_at_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
  ],
);

export type AdminRequest = typeof adminRequests.$inferSelect;
