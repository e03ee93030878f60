import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";

export const courseStatuses = ["draft", "published", "archived"] as const;
export type CourseStatus = (typeof courseStatuses)[number];
export const courseLevels = ["beginner", "intermediate", "advanced"] as const;
export type CourseLevel = (typeof courseLevels)[number];

/** A course in the catalogue. Public (anonymous) readers see only published ones (RLS). */
export const courses = pgTable(
  "courses",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** URL-safe and unique: the public address, /v1/courses/{slug}. Fixed once published. */
    slug: text().notNull(),
    title: text().notNull(),
    summary: text().notNull(),
    /** Sanitised HTML (src/lib/sanitize.ts) before it gets here. */
    description: text().notNull().default(""),
    category: text().notNull(),
    level: text({ enum: courseLevels }).notNull(),
    /** ISO 639-1 code: en, hi, ta, … */
    language: text().notNull(),
    /** INR in paise. */
    pricePaise: integer("price_paise").notNull(),
    gstInclusive: boolean("gst_inclusive").notNull().default(true),
    /** Minimum attendance, in percent, for a certificate. */
    certificateMinAttendancePct: integer("certificate_min_attendance_pct").notNull().default(75),
    status: text({ enum: courseStatuses }).notNull().default("draft"),
    /** Set when first published; the public list's sort key. */
    publishedAt: timestamp("published_at", tz),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("courses_slug_key").on(t.slug),
    check(
      "courses_slug_check",
      sql`${t.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(${t.slug}) between 3 and 80`,
    ),
    check("courses_category_check", sql`${t.category} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`),
    check("courses_language_check", sql`${t.language} ~ '^[a-z]{2}$'`),
    check("courses_level_check", sql`${t.level} in ('beginner', 'intermediate', 'advanced')`),
    check("courses_status_check", sql`${t.status} in ('draft', 'published', 'archived')`),
    check("courses_price_check", sql`${t.pricePaise} >= 0`),
    check(
      "courses_certificate_attendance_check",
      sql`${t.certificateMinAttendancePct} between 0 and 100`,
    ),
    check(
      "courses_published_at_check",
      sql`${t.status} <> 'published' or ${t.publishedAt} is not null`,
    ),
    // drizzle's `.desc()` is `DESC NULLS LAST`, the order list pages ask for (`orderTerms` in
    // src/lib/pagination.ts): test/db/list-indexes.test.ts checks each list reads its index.
    // Admin list, newest first: unfiltered, and by status, category, level or language.
    index("courses_created_at_idx").on(t.createdAt.desc(), t.id.desc()),
    index("courses_status_created_at_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("courses_category_created_at_idx").on(t.category, t.createdAt.desc(), t.id.desc()),
    index("courses_level_created_at_idx").on(t.level, t.createdAt.desc(), t.id.desc()),
    index("courses_language_created_at_idx").on(t.language, t.createdAt.desc(), t.id.desc()),
    // Public list (published only), newest first: unfiltered, and by category, level or language.
    index("courses_published_idx")
      .on(t.publishedAt.desc(), t.id.desc())
      .where(sql`${t.status} = 'published'`),
    index("courses_published_category_idx")
      .on(t.category, t.publishedAt.desc(), t.id.desc())
      .where(sql`${t.status} = 'published'`),
    index("courses_published_level_idx")
      .on(t.level, t.publishedAt.desc(), t.id.desc())
      .where(sql`${t.status} = 'published'`),
    index("courses_published_language_idx")
      .on(t.language, t.publishedAt.desc(), t.id.desc())
      .where(sql`${t.status} = 'published'`),
  ],
);

export type Course = typeof courses.$inferSelect;
export type NewCourse = typeof courses.$inferInsert;
