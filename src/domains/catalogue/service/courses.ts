import { and, asc, count, eq, getTableColumns, type SQL } from "drizzle-orm";
import { isUniqueViolation } from "../../../db/client";
import { auditLogs, batches, type Course, type CourseStatus, courses } from "../../../db/schema";
import { type Reader, runAs } from "../../../db/transaction";
import { auditValues, recordAudit } from "../../../lib/audit";
import { conflict, notFound } from "../../../lib/errors";
import { paginate } from "../../../lib/paginate";
import { listScope, type PageRequest } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import { CATALOGUE_SCOPE } from "../cache";
import type { CreateCourseInput, UpdateCourseInput } from "../schemas";
import { assertTransition, courseTransitions } from "./rules";
import { auditCourse, toBatchView, toCourseView } from "./views";

const duplicateSlug = (slug: string) =>
  conflict(`Another course already has the slug "${slug}". Choose another.`);

/** Writes the course and its audit row in one request and one transaction (HTTP batch). */
export async function createCourse(ctx: ServiceContext, input: CreateCourseInput) {
  const id = crypto.randomUUID();
  const { description = "", ...fields } = input;
  let created: Course | undefined;
  try {
    created = await runAs(ctx.http, ctx.actor, async (q) => {
      const [rows] = await q.batch([
        q
          .insert(courses)
          .values({ id, ...input })
          .returning(),
        q.insert(auditLogs).values(
          auditValues(ctx.audit, {
            action: "course.create",
            entityType: "course",
            entityId: id,
            after: { id, status: "draft", ...fields, descriptionLength: description.length },
          }),
        ),
      ]);
      return rows[0];
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug(input.slug);
    throw err;
  }
  if (!created) throw new Error("course insert returned no row");
  // A draft is invisible publicly, so no cached page can hold it: nothing to invalidate.
  return toCourseView(created);
}

const auditAction = (before: Course, after: Course) =>
  before.status === after.status ? "course.update" : `course.${verbOf(after.status)}`;
const verbOf = (status: CourseStatus) =>
  status === "published" ? "publish" : status === "archived" ? "archive" : "update";

/**
 * Changes fields and/or the status. Checks the transition (409 with the allowed next statuses),
 * and that the slug only changes while the course is a draft (its URL is shared once published).
 */
export async function updateCourse(ctx: ServiceContext, id: string, input: UpdateCourseInput) {
  let result: { course: Course; changed: boolean };
  try {
    result = await runAs(ctx.db, ctx.actor, async (tx) => {
      const [before] = await tx
        .select()
        .from(courses)
        .where(eq(courses.id, id))
        .for("update")
        .limit(1);
      if (!before) throw notFound("The course was not found.");
      assertTransition("course", courseTransitions, before.status, input.status);
      if (input.slug !== undefined && input.slug !== before.slug && before.status !== "draft") {
        throw conflict(`The slug of a ${before.status} course is fixed: its address is shared.`);
      }
      const changes = changedFields(before, input);
      if (Object.keys(changes).length === 0) return { course: before, changed: false };
      const [after] = await tx.update(courses).set(changes).where(eq(courses.id, id)).returning();
      if (!after) throw notFound("The course was not found.");
      await recordAudit(tx, ctx.audit, {
        action: auditAction(before, after),
        entityType: "course",
        entityId: id,
        before: auditCourse(before),
        after: auditCourse(after),
      });
      return { course: after, changed: true };
    });
  } catch (err) {
    if (isUniqueViolation(err) && input.slug) throw duplicateSlug(input.slug);
    throw err;
  }
  // After the commit, so no reader can refill the cache from the old rows under the new generation.
  if (result.changed) await ctx.cache.invalidate([CATALOGUE_SCOPE]);
  return toCourseView(result.course);
}

function changedFields(before: Course, input: UpdateCourseInput): Partial<Course> {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([key, value]) => value !== undefined && before[key as keyof Course] !== value,
    ),
  ) as Partial<Course>;
}

export async function getAdminCourse(ctx: ServiceContext, id: string) {
  const row = await runAs(ctx.http, ctx.actor, (q) =>
    q.query.courses.findFirst({
      where: eq(courses.id, id),
      with: { batches: { orderBy: [asc(batches.startDate), asc(batches.id)] } },
    }),
  );
  if (!row) throw notFound("The course was not found.");
  const { batches: rows, ...course } = row;
  return { ...toCourseView(course), batches: rows.map(toBatchView) };
}

export async function listAdminCourses(
  ctx: ServiceContext,
  input: {
    page: PageRequest;
    status?: CourseStatus;
    category?: string;
    level?: Course["level"];
    language?: string;
  },
) {
  const filters = {
    status: input.status,
    category: input.category,
    level: input.level,
    language: input.language,
  };
  const filter = and(
    input.status ? eq(courses.status, input.status) : undefined,
    input.category ? eq(courses.category, input.category) : undefined,
    input.level ? eq(courses.level, input.level) : undefined,
    input.language ? eq(courses.language, input.language) : undefined,
  );
  // The admin's own context: RLS (courses_admin_select) lets them see every status.
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    paginate<Course>({
      request: input.page,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/courses", filters),
      order: { by: [courses.createdAt], id: courses.id },
      count: () => total(q, filter),
      rows: ({ where, orderBy, limit, offset, cursorKey }) =>
        q
          .select({ ...courseColumns, ...(cursorKey ? { cursorKey } : {}) })
          .from(courses)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit)
          .offset(offset),
    }),
  );
  return { ...page, data: page.data.map(toCourseView) };
}

const courseColumns = getTableColumns(courses);

async function total(q: Reader, where: SQL | undefined) {
  const [row] = await q.select({ n: count() }).from(courses).where(where);
  return row?.n ?? 0;
}
