import { and, eq, sql } from "drizzle-orm";
import { type Course, courses } from "../../../db/schema";
import { type DbActor, runAs } from "../../../db/transaction";
import type { CacheRead } from "../../../lib/cache";
import { notFound } from "../../../lib/errors";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import { type CachedCourse, courseDetailCache, courseListCache } from "../cache";
import type { PublicCourseListInput } from "../schemas";

/**
 * Public reads run as `anonymous` whoever asks: the answer is the same for everyone, which is
 * what makes it cacheable, and RLS shows that context only published courses.
 */
const ANONYMOUS: DbActor = { userId: null, role: "anonymous" };
const published = sql`${courses.status} = 'published'`;

const summaryColumns = {
  id: courses.id,
  slug: courses.slug,
  title: courses.title,
  summary: courses.summary,
  category: courses.category,
  level: courses.level,
  language: courses.language,
  pricePaise: courses.pricePaise,
  gstInclusive: courses.gstInclusive,
  publishedAt: courses.publishedAt,
};
type Summary = Pick<Course, keyof typeof summaryColumns>;

function toSummary(c: Summary) {
  return {
    id: c.id,
    slug: c.slug,
    title: c.title,
    summary: c.summary,
    category: c.category,
    level: c.level,
    language: c.language,
    pricePaise: c.pricePaise,
    gstInclusive: c.gstInclusive,
    // Never null for a published course (courses_published_at_check).
    publishedAt: (c.publishedAt ?? new Date(0)).toISOString(),
  };
}

/** `GET /v1/courses`: published courses, newest first, by keyset pages; cached. */
export function listPublicCourses(ctx: ServiceContext, input: PublicCourseListInput) {
  const unfiltered = !input.category && !input.level && !input.language && !input.cursor;
  return ctx.cache.read(courseListCache, input, () => loadCoursePage(ctx, input), {
    // Empty filtered pages are not stored: made-up filters cost no KV writes.
    store: (page) => page.data.length > 0 || unfiltered,
  });
}

async function loadCoursePage(ctx: ServiceContext, input: PublicCourseListInput) {
  const filter = and(
    published,
    input.category ? eq(courses.category, input.category) : undefined,
    input.level ? eq(courses.level, input.level) : undefined,
    input.language ? eq(courses.language, input.language) : undefined,
  );
  const page = await runAs(ctx.http, ANONYMOUS, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/courses", {
        category: input.category,
        level: input.level,
        language: input.language,
      }),
      order: { by: [courses.publishedAt], id: courses.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ ...summaryColumns, cursorKey })
          .from(courses)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map(toSummary) };
}

/** `GET /v1/courses/{slug}`: a published course and its batches open for enrolment; cached. */
export async function getPublicCourse(ctx: ServiceContext, slug: string) {
  const read = await ctx.cache.read(courseDetailCache, { slug }, () => loadCourse(ctx, slug), {
    // Unknown slugs are not stored: made-up slugs cost no KV writes.
    store: (course) => course !== null,
  });
  // Drafts and archived courses are invisible here, exactly like slugs that never existed.
  if (!read.value) throw notFound("The course was not found.");
  return { outcome: read.outcome, value: present(read.value, Date.now()) } satisfies CacheRead<
    ReturnType<typeof present>
  >;
}

async function loadCourse(ctx: ServiceContext, slug: string): Promise<CachedCourse | null> {
  // One statement (batches aggregated into the course row): one snapshot, one round trip.
  const row = await runAs(ctx.http, ANONYMOUS, (q) =>
    q.query.courses.findFirst({
      where: and(eq(courses.slug, slug), published),
      with: {
        batches: {
          // Still taking enrolments, or about to: `present` keeps those open at serve time.
          where: (b, { and, inArray }) =>
            and(inArray(b.status, ["scheduled", "running"]), sql`${b.enrolmentClosesAt} > now()`),
          orderBy: (b, { asc }) => [asc(b.startDate), asc(b.id)],
          // SECURITY DEFINER functions (migrations 0020, 0024): the anonymous reader sees no
          // enrolment or session row, only these counts and times. Every seat change and
          // session write invalidates this page (public.ts).
          extras: (b, { sql }) => ({
            seatsTaken: sql<number>`coalesce(batch_seats_taken(${b.id}), 0)`.as("seats_taken"),
            nextSessionAt: sql<string | null>`batch_next_session_at(${b.id})`.as("next_session_at"),
          }),
        },
      },
    }),
  );
  if (!row) return null;
  const { batches, description, certificateMinAttendancePct } = row;
  return {
    ...toSummary(row),
    description,
    certificateMinAttendancePct,
    batches: batches.map((b) => ({
      id: b.id,
      name: b.name,
      startDate: b.startDate,
      endDate: b.endDate,
      timezone: b.timezone,
      capacity: b.capacity,
      seatsTaken: Number(b.seatsTaken),
      pricePaise: b.pricePaiseOverride ?? row.pricePaise,
      enrolmentOpensAt: b.enrolmentOpensAt.toISOString(),
      enrolmentClosesAt: b.enrolmentClosesAt.toISOString(),
      nextSessionAt: b.nextSessionAt ? new Date(b.nextSessionAt).toISOString() : null,
    })),
  };
}

/** The response for `now`: only batches whose enrolment window is open, with seats left. */
function present(course: CachedCourse, now: number) {
  const { batches, ...rest } = course;
  return {
    ...rest,
    batches: batches
      .filter((b) => Date.parse(b.enrolmentOpensAt) <= now && now < Date.parse(b.enrolmentClosesAt))
      .map(({ seatsTaken: taken, enrolmentOpensAt: _o, ...b }) => ({
        ...b,
        seatsLeft: Math.max(0, b.capacity - taken),
        gstInclusive: course.gstInclusive,
      })),
  };
}
