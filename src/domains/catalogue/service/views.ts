import type { Batch, Course } from "../../../db/schema";
import type { BatchView, CourseView } from "../schemas";
import { batchTransitions, courseTransitions } from "./rules";

const iso = (d: Date) => d.toISOString();

export function toCourseView(c: Course): CourseView {
  return {
    id: c.id,
    slug: c.slug,
    title: c.title,
    summary: c.summary,
    description: c.description,
    category: c.category,
    level: c.level,
    language: c.language,
    pricePaise: c.pricePaise,
    gstInclusive: c.gstInclusive,
    certificateMinAttendancePct: c.certificateMinAttendancePct,
    status: c.status,
    nextStatuses: [...courseTransitions[c.status]],
    publishedAt: c.publishedAt ? iso(c.publishedAt) : null,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

export function toBatchView(b: Batch): BatchView {
  return {
    id: b.id,
    courseId: b.courseId,
    name: b.name,
    startDate: b.startDate,
    endDate: b.endDate,
    timezone: b.timezone,
    capacity: b.capacity,
    enrolmentOpensAt: iso(b.enrolmentOpensAt),
    enrolmentClosesAt: iso(b.enrolmentClosesAt),
    pricePaiseOverride: b.pricePaiseOverride,
    status: b.status,
    nextStatuses: [...batchTransitions[b.status]],
    createdAt: iso(b.createdAt),
    updatedAt: iso(b.updatedAt),
  };
}

/** Audit snapshots: every field but the description, which is long and kept by its length. */
export function auditCourse(c: Course): Record<string, unknown> {
  const { description, createdAt: _c, updatedAt: _u, ...rest } = c;
  return { ...rest, descriptionLength: description.length };
}

export function auditBatch(b: Batch): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, ...rest } = b;
  return rest;
}
