import { type Batch, batches, type Course, courses, type Enrolment } from "../../../db/schema";
import type { EnrolmentView } from "../schemas";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export type BatchSummary = Pick<
  Batch,
  "id" | "name" | "startDate" | "endDate" | "timezone" | "status"
>;
export type CourseSummary = Pick<Course, "id" | "slug" | "title">;

/** The columns an enrolment's view shows of its batch (BatchSummary), for `select({ … })`. */
export const batchSummaryColumns = {
  id: batches.id,
  name: batches.name,
  startDate: batches.startDate,
  endDate: batches.endDate,
  timezone: batches.timezone,
  status: batches.status,
};

/** The columns an enrolment's view shows of its course (CourseSummary). */
export const courseSummaryColumns = { id: courses.id, slug: courses.slug, title: courses.title };

export function toEnrolmentView(
  e: Enrolment,
  batch: BatchSummary,
  course: CourseSummary,
): EnrolmentView {
  return {
    id: e.id,
    userId: e.userId,
    status: e.status,
    source: e.source,
    pricePaise: e.pricePaise,
    holdExpiresAt: iso(e.holdExpiresAt),
    activatedAt: iso(e.activatedAt),
    cancelledAt: iso(e.cancelledAt),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    course: { id: course.id, slug: course.slug, title: course.title },
    batch: {
      id: batch.id,
      name: batch.name,
      startDate: batch.startDate,
      endDate: batch.endDate,
      timezone: batch.timezone,
      status: batch.status,
    },
  };
}

/** Audit snapshots of an enrolment: every column but the timestamps the row keeps itself. */
export function auditEnrolment(e: Enrolment): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, ...rest } = e;
  return rest;
}
