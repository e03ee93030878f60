import { relations, sql } from "drizzle-orm";
import { check, date, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";
import { courses } from "./courses";

export const batchStatuses = ["scheduled", "running", "completed", "cancelled"] as const;
export type BatchStatus = (typeof batchStatuses)[number];

/** A cohort of one course: dates, seats, its enrolment window. */
export const batches = pgTable(
  "batches",
  {
    id: uuid().primaryKey().defaultRandom(),
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "restrict" }),
    name: text().notNull(),
    /** Calendar dates in the batch's timezone. */
    startDate: date("start_date", { mode: "string" }).notNull(),
    endDate: date("end_date", { mode: "string" }).notNull(),
    /** IANA name, validated by the API (Intl). */
    timezone: text().notNull().default("Asia/Kolkata"),
    capacity: integer().notNull(),
    enrolmentOpensAt: timestamp("enrolment_opens_at", tz).notNull(),
    enrolmentClosesAt: timestamp("enrolment_closes_at", tz).notNull(),
    /** INR in paise; null: the course's price. */
    pricePaiseOverride: integer("price_paise_override"),
    status: text({ enum: batchStatuses }).notNull().default("scheduled"),
    ...timestamps,
  },
  (t) => [
    check(
      "batches_status_check",
      sql`${t.status} in ('scheduled', 'running', 'completed', 'cancelled')`,
    ),
    check("batches_dates_check", sql`${t.endDate} >= ${t.startDate}`),
    check("batches_enrolment_window_check", sql`${t.enrolmentClosesAt} > ${t.enrolmentOpensAt}`),
    check("batches_capacity_check", sql`${t.capacity} between 1 and 10000`),
    check(
      "batches_price_override_check",
      sql`${t.pricePaiseOverride} is null or ${t.pricePaiseOverride} >= 0`,
    ),
    // A course's batches by start date: the public course page and the admin course page.
    index("batches_course_start_idx").on(t.courseId, t.startDate, t.id),
  ],
);

export type Batch = typeof batches.$inferSelect;
export type NewBatch = typeof batches.$inferInsert;

// Both relations here, where both tables are known (courses.ts stays free of a cycle).
export const coursesRelations = relations(courses, ({ many }) => ({ batches: many(batches) }));
export const batchesRelations = relations(batches, ({ one }) => ({
  course: one(courses, { fields: [batches.courseId], references: [courses.id] }),
}));
