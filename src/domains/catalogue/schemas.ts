import { z } from "@hono/zod-openapi";
import { batchStatuses, courseLevels, courseStatuses } from "../../db/schema";
import { keysetQuery, paginatedSchema, paginationQuery } from "../../lib/pagination";
import { instant, richText, text } from "../../lib/validation";

/** ₹10,00,000: above any course we sell, far below what an `integer` column holds. */
export const MAX_PRICE_PAISE = 100_000_000;
/** A live class on Zoom tops out at 1,000 (meetings) or 10,000 (webinars) attendees. */
export const MAX_CAPACITY = 10_000;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slugMessage = "Lower-case letters and digits in words joined by single hyphens";

export const slug = () =>
  z
    .string()
    .min(3)
    .max(80)
    .regex(SLUG, slugMessage)
    .openapi({ example: "jee-physics-crash-course" });

export const category = () =>
  z.string().min(2).max(40).regex(SLUG, slugMessage).openapi({ example: "jee" });

export const language = () =>
  z
    .string()
    .regex(/^[a-z]{2}$/, "An ISO 639-1 code: two lower-case letters")
    .openapi({ description: "ISO 639-1 code", example: "hi" });

const price = () =>
  z.number().int().min(0).max(MAX_PRICE_PAISE).openapi({ description: "INR in paise" });

const DATE_MIN = "2000-01-01";
const DATE_MAX = "2100-12-31";
/** A calendar date, YYYY-MM-DD, between 2000 and 2100. */
export const calendarDate = () =>
  z.iso
    .date()
    .refine((d) => d >= DATE_MIN && d <= DATE_MAX, `Must be between ${DATE_MIN} and ${DATE_MAX}`)
    .openapi({ example: "2027-01-04" });

const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
function isTimeZone(name: string): boolean {
  if (!TIME_ZONE.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone name that Intl knows, stored as sent (Intl's own "canonical" spelling is
 * ICU's: it would turn Asia/Kolkata into Asia/Calcutta).
 */
export const timeZone = () =>
  z
    .string()
    .max(64)
    .refine(isTimeZone, "Must be an IANA time zone, e.g. Asia/Kolkata")
    .openapi({ example: "Asia/Kolkata" });

const atLeastOne = (value: object) => Object.keys(value).length > 0;
const NOTHING = "Send at least one field to change";

// ---------------------------------------------------------------------------------------------
// Admin: courses

const courseFields = {
  slug: slug(),
  title: text({ max: 150 }),
  summary: text({ max: 300 }),
  description: richText({ max: 20_000 }),
  category: category(),
  level: z.enum(courseLevels),
  language: language(),
  pricePaise: price(),
  gstInclusive: z.boolean().openapi({ description: "Whether the price includes GST (default)" }),
  certificateMinAttendancePct: z
    .number()
    .int()
    .min(0)
    .max(100)
    .openapi({ description: "Attendance needed for a certificate, in percent (default 75)" }),
};

export const CreateCourseBody = z
  .strictObject({
    ...courseFields,
    description: courseFields.description.optional(),
    gstInclusive: courseFields.gstInclusive.optional(),
    certificateMinAttendancePct: courseFields.certificateMinAttendancePct.optional(),
  })
  .openapi("CreateCourseRequest");
export type CreateCourseInput = z.infer<typeof CreateCourseBody>;

export const UpdateCourseBody = z
  .strictObject({
    slug: courseFields.slug.optional().openapi({ description: "Only while the course is a draft" }),
    title: courseFields.title.optional(),
    summary: courseFields.summary.optional(),
    description: courseFields.description.optional(),
    category: courseFields.category.optional(),
    level: courseFields.level.optional(),
    language: courseFields.language.optional(),
    pricePaise: courseFields.pricePaise.optional(),
    gstInclusive: courseFields.gstInclusive.optional(),
    certificateMinAttendancePct: courseFields.certificateMinAttendancePct.optional(),
    status: z.enum(courseStatuses).optional().openapi({
      description: "draft → published → archived; a draft may also be archived",
    }),
  })
  .refine(atLeastOne, NOTHING)
  .openapi("UpdateCourseRequest");
export type UpdateCourseInput = z.infer<typeof UpdateCourseBody>;

export const CourseIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const CourseSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    summary: z.string(),
    description: z.string(),
    category: z.string(),
    level: z.enum(courseLevels),
    language: z.string(),
    pricePaise: z.number().int(),
    gstInclusive: z.boolean(),
    certificateMinAttendancePct: z.number().int(),
    status: z.enum(courseStatuses),
    nextStatuses: z.array(z.enum(courseStatuses)).openapi({
      description: "The statuses this course may move to",
    }),
    publishedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Course");
export type CourseView = z.infer<typeof CourseSchema>;

export const AdminCourseListQuery = paginationQuery.extend({
  status: z.enum(courseStatuses).optional(),
  category: category().optional(),
  level: z.enum(courseLevels).optional(),
  language: language().optional(),
});
export const AdminCoursePage = paginatedSchema(CourseSchema, "CoursePage", { offset: true });

// ---------------------------------------------------------------------------------------------
// Admin: batches

export const BatchSchema = z
  .object({
    id: z.string(),
    courseId: z.string(),
    name: z.string(),
    startDate: z.string(),
    endDate: z.string(),
    timezone: z.string(),
    capacity: z.number().int(),
    enrolmentOpensAt: z.string(),
    enrolmentClosesAt: z.string(),
    pricePaiseOverride: z.number().int().nullable(),
    status: z.enum(batchStatuses),
    nextStatuses: z.array(z.enum(batchStatuses)),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Batch");
export type BatchView = z.infer<typeof BatchSchema>;

export const AdminCourseSchema = CourseSchema.extend({ batches: z.array(BatchSchema) }).openapi(
  "AdminCourse",
);

const batchFields = {
  name: text({ max: 120 }),
  startDate: calendarDate(),
  endDate: calendarDate(),
  timezone: timeZone(),
  capacity: z.number().int().min(1).max(MAX_CAPACITY),
  enrolmentOpensAt: instant(),
  enrolmentClosesAt: instant(),
  pricePaiseOverride: price()
    .nullable()
    .openapi({ description: "INR in paise; null: the course's price" }),
};

/** The order rules of a batch's dates, on whichever values the batch ends up with. */
export function batchOrderErrors(b: {
  startDate: string;
  endDate: string;
  enrolmentOpensAt: string | Date;
  enrolmentClosesAt: string | Date;
}): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  if (b.endDate < b.startDate) {
    errors.push({ path: "endDate", message: "Must be on or after startDate" });
  }
  if (new Date(b.enrolmentClosesAt).getTime() <= new Date(b.enrolmentOpensAt).getTime()) {
    errors.push({ path: "enrolmentClosesAt", message: "Must be after enrolmentOpensAt" });
  }
  return errors;
}

export const CreateBatchBody = z
  .strictObject({
    ...batchFields,
    timezone: batchFields.timezone.optional().openapi({ description: "Default Asia/Kolkata" }),
    pricePaiseOverride: batchFields.pricePaiseOverride.optional(),
  })
  .superRefine((b, ctx) => {
    for (const e of batchOrderErrors(b)) {
      ctx.addIssue({ code: "custom", path: [e.path], message: e.message });
    }
  })
  .openapi("CreateBatchRequest");
export type CreateBatchInput = z.infer<typeof CreateBatchBody>;

export const UpdateBatchBody = z
  .strictObject({
    name: batchFields.name.optional(),
    startDate: batchFields.startDate.optional(),
    endDate: batchFields.endDate.optional(),
    timezone: batchFields.timezone.optional(),
    capacity: batchFields.capacity.optional(),
    enrolmentOpensAt: batchFields.enrolmentOpensAt.optional(),
    enrolmentClosesAt: batchFields.enrolmentClosesAt.optional(),
    pricePaiseOverride: batchFields.pricePaiseOverride.optional(),
    status: z.enum(batchStatuses).optional().openapi({
      description: "scheduled → running → completed, or cancelled from scheduled or running",
    }),
  })
  .refine(atLeastOne, NOTHING)
  .openapi("UpdateBatchRequest");
export type UpdateBatchInput = z.infer<typeof UpdateBatchBody>;

export const BatchIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

// ---------------------------------------------------------------------------------------------
// Public catalogue

export const PublicCourseListQuery = keysetQuery.extend({
  category: category().optional(),
  level: z.enum(courseLevels).optional(),
  language: language().optional(),
});
export type PublicCourseListInput = z.infer<typeof PublicCourseListQuery>;

export const PublicCourseSummarySchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    summary: z.string(),
    category: z.string(),
    level: z.enum(courseLevels),
    language: z.string(),
    pricePaise: z.number().int(),
    gstInclusive: z.boolean(),
    publishedAt: z.string(),
  })
  .openapi("PublicCourseSummary");

export const PublicCoursePage = paginatedSchema(PublicCourseSummarySchema, "PublicCoursePage");

export const PublicBatchSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    startDate: z.string(),
    endDate: z.string(),
    timezone: z.string(),
    capacity: z.number().int(),
    seatsLeft: z.number().int().openapi({
      description:
        "Informational: capacity minus active and held enrolments (enrolment decides on its own)",
    }),
    pricePaise: z.number().int().openapi({ description: "What this batch costs, in paise" }),
    gstInclusive: z.boolean(),
    enrolmentClosesAt: z.string(),
    nextSessionAt: z.string().nullable().openapi({
      description: "When the batch's next class starts (or the one running now); null if none",
    }),
  })
  .openapi("PublicBatch");

export const PublicCourseSchema = PublicCourseSummarySchema.extend({
  description: z.string(),
  certificateMinAttendancePct: z.number().int(),
  batches: z.array(PublicBatchSchema).openapi({
    description: "Batches whose enrolment is open now, earliest start first",
  }),
}).openapi("PublicCourse");

/** On every cached response. */
export const CacheStatusHeader = z.string().openapi({
  description:
    "RFC 9211: `coaching-api; hit`, `coaching-api; fwd=miss` or `coaching-api; fwd=stale`",
  example: "coaching-api; hit",
});

export const CourseSlugParams = z.object({
  slug: slug().openapi({ param: { name: "slug", in: "path" } }),
});
