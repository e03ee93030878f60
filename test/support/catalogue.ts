/**
 * Catalogue factories: courses and batches inserted straight into the file's database (as the
 * superuser, so any status can be set up), and the request bodies the admin API takes.
 */
import { adminQuery } from "./database";

export interface CourseRow {
  id: string;
  slug: string;
  status: string;
}

let n = 0;
/** A slug nobody has used in this run. */
export const freshSlug = (prefix = "course") =>
  `${prefix}-${++n}-${crypto.randomUUID().slice(0, 8)}`;

export function courseBody(overrides: Record<string, unknown> = {}) {
  return {
    slug: freshSlug(),
    title: "JEE Physics: Mechanics",
    summary: "Kinematics to rotation in twelve weeks",
    description: "<p>Live classes, <b>weekly</b> tests.</p>",
    category: "jee",
    level: "intermediate",
    language: "hi",
    pricePaise: 1_499_900,
    ...overrides,
  };
}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A batch whose enrolment is open now and that starts in a week. */
export function batchBody(overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    name: "Morning batch",
    startDate: isoDay(now + 7 * DAY),
    endDate: isoDay(now + 90 * DAY),
    capacity: 60,
    enrolmentOpensAt: new Date(now - DAY).toISOString(),
    enrolmentClosesAt: new Date(now + 6 * DAY).toISOString(),
    ...overrides,
  };
}

export async function insertCourse(
  database: string,
  overrides: Partial<{
    slug: string;
    status: "draft" | "published" | "archived";
    category: string;
    level: string;
    language: string;
    title: string;
    pricePaise: number;
    publishedAt: Date;
  }> = {},
): Promise<CourseRow> {
  const status = overrides.status ?? "published";
  const [row] = await adminQuery<CourseRow>(
    `INSERT INTO courses (slug, title, summary, category, level, language, price_paise, status,
                          published_at)
     VALUES ($1, $2, 'A summary', $3, $4, $5, $6, $7, $8)
     RETURNING id, slug, status`,
    [
      overrides.slug ?? freshSlug(),
      overrides.title ?? "A course",
      overrides.category ?? "jee",
      overrides.level ?? "beginner",
      overrides.language ?? "en",
      overrides.pricePaise ?? 99_900,
      status,
      overrides.publishedAt ?? (status === "draft" ? null : new Date()),
    ],
    database,
  );
  if (!row) throw new Error("course insert failed");
  return row;
}

export async function insertBatch(
  database: string,
  courseId: string,
  overrides: Partial<{
    status: "scheduled" | "running" | "completed" | "cancelled";
    name: string;
    capacity: number;
    opensAt: Date;
    closesAt: Date;
    pricePaiseOverride: number | null;
  }> = {},
): Promise<{ id: string }> {
  const now = Date.now();
  const [row] = await adminQuery<{ id: string }>(
    `INSERT INTO batches (course_id, name, start_date, end_date, capacity, enrolment_opens_at,
                          enrolment_closes_at, price_paise_override, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      courseId,
      overrides.name ?? "A batch",
      isoDay(now + 7 * DAY),
      isoDay(now + 60 * DAY),
      overrides.capacity ?? 40,
      overrides.opensAt ?? new Date(now - DAY),
      overrides.closesAt ?? new Date(now + 6 * DAY),
      overrides.pricePaiseOverride ?? null,
      overrides.status ?? "scheduled",
    ],
    database,
  );
  if (!row) throw new Error("batch insert failed");
  return row;
}
