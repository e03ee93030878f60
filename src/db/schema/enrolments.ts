import { relations, sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { batches } from "./batches";
import { timestamps, tz } from "./columns";
import { users } from "./users";

/**
 * `pending_payment` holds a seat until `hold_expires_at` (a paid batch, until its payment is
 * confirmed); `active` has a seat; `expired` is a hold that ran out, `cancelled` a seat given
 * back. The payments issue adds `refunded`.
 */
export const enrolmentStatuses = ["pending_payment", "active", "cancelled", "expired"] as const;
export type EnrolmentStatus = (typeof enrolmentStatuses)[number];

/** How the enrolment came about: the student's own request, or an admin's audited grant. */
export const enrolmentSources = ["self", "admin_grant"] as const;
export type EnrolmentSource = (typeof enrolmentSources)[number];

/**
 * One row per student per batch, whatever happens to it: a student who cancels (or whose hold
 * expires) and enrols again reuses the row, so "one enrolment per student per batch" is a
 * unique key, and the history lives in the audit log.
 */
export const enrolments = pgTable(
  "enrolments",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    batchId: uuid("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "restrict" }),
    status: text({ enum: enrolmentStatuses }).notNull(),
    source: text({ enum: enrolmentSources }).notNull().default("self"),
    /** The admin's reason for a grant (audited too). */
    grantReason: text("grant_reason"),
    /** INR paise owed for the seat when it was taken (the batch's price then); 0 = free. */
    pricePaise: integer("price_paise").notNull(),
    /** While `pending_payment`: the seat is held until then (the expiry job releases it). */
    holdExpiresAt: timestamp("hold_expires_at", tz),
    activatedAt: timestamp("activated_at", tz),
    cancelledAt: timestamp("cancelled_at", tz),
    ...timestamps,
  },
  (t) => [
    unique("enrolments_user_batch_key").on(t.userId, t.batchId),
    check(
      "enrolments_status_check",
      sql`${t.status} in ('pending_payment', 'active', 'cancelled', 'expired')`,
    ),
    check("enrolments_source_check", sql`${t.source} in ('self', 'admin_grant')`),
    check("enrolments_price_check", sql`${t.pricePaise} >= 0`),
    check(
      "enrolments_hold_check",
      sql`(${t.status} = 'pending_payment') = (${t.holdExpiresAt} is not null)`,
    ),
    // Seats taken in a batch (the capacity check under the batch's lock) and the roster.
    index("enrolments_batch_status_idx").on(t.batchId, t.status),
    // GET /v1/admin/batches/{id}/roster: a batch's enrolments in the order they were taken.
    index("enrolments_batch_created_idx").on(t.batchId, t.createdAt, t.id),
    // GET /v1/me/enrolments: a student's enrolments, newest first.
    index("enrolments_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    // The expiry job: holds due for release.
    index("enrolments_hold_due_idx")
      .on(t.holdExpiresAt)
      .where(sql`${t.status} = 'pending_payment'`),
  ],
);

export type Enrolment = typeof enrolments.$inferSelect;
export type NewEnrolment = typeof enrolments.$inferInsert;

export const enrolmentsRelations = relations(enrolments, ({ one }) => ({
  batch: one(batches, { fields: [enrolments.batchId], references: [batches.id] }),
  user: one(users, { fields: [enrolments.userId], references: [users.id] }),
}));
