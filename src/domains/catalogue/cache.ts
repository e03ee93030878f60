/**
 * What the public catalogue caches (src/lib/cache), and the generations that invalidate it:
 * every course write bumps `catalogue` (list pages and course pages), a batch write bumps only
 * its course's page (`course:<slug>`).
 */
import * as z from "zod";
import { cacheKind } from "../../lib/cache";
import { KeysetPaginationSchema, listScope } from "../../lib/pagination";
import { type PublicCourseListInput, PublicCourseSummarySchema } from "./schemas";

export const CATALOGUE_SCOPE = "catalogue";
export const courseScope = (slug: string) => `course:${slug}`;

/** Invalidation has the last word; these bound what a lost invalidation can leave behind. */
const FRESH_SECONDS = 60;
const STALE_SECONDS = 600;

/** A page of `GET /v1/courses` as stored: the response body. */
const CachedCoursePage = z.object({
  data: z.array(PublicCourseSummarySchema),
  pagination: KeysetPaginationSchema,
});

export const courseListCache = cacheKind<PublicCourseListInput, z.infer<typeof CachedCoursePage>>({
  name: "courses.list",
  version: 1,
  schema: CachedCoursePage,
  key: (q) =>
    listScope("courses", {
      category: q.category,
      level: q.level,
      language: q.language,
      limit: q.limit,
      cursor: q.cursor,
    }),
  scopes: () => [CATALOGUE_SCOPE],
  freshSeconds: FRESH_SECONDS,
  staleSeconds: STALE_SECONDS,
});

/**
 * A course page as stored: the batches that were still taking enrolments when it was filled,
 * with their windows, so each response picks the ones open at that moment.
 */
export const CachedCourse = PublicCourseSummarySchema.extend({
  description: z.string(),
  certificateMinAttendancePct: z.number().int(),
  batches: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      startDate: z.string(),
      endDate: z.string(),
      timezone: z.string(),
      capacity: z.number().int(),
      seatsTaken: z.number().int().nonnegative(),
      pricePaise: z.number().int(),
      enrolmentOpensAt: z.string(),
      enrolmentClosesAt: z.string(),
      /** The next class that has not ended (batch_next_session_at); sessions invalidate it. */
      nextSessionAt: z.string().nullable(),
    }),
  ),
});
export type CachedCourse = z.infer<typeof CachedCourse>;

export const courseDetailCache = cacheKind<{ slug: string }, CachedCourse | null>({
  name: "courses.detail",
  // 2: batches carry nextSessionAt.
  version: 2,
  schema: CachedCourse.nullable(),
  key: ({ slug }) => slug,
  scopes: ({ slug }) => [CATALOGUE_SCOPE, courseScope(slug)],
  freshSeconds: FRESH_SECONDS,
  staleSeconds: STALE_SECONDS,
});
