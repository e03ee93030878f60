import { z } from "@hono/zod-openapi";
import { ticketCategories, ticketPriorities, ticketStatuses } from "../../db/schema";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";
import { richTextToPlain } from "../../lib/sanitize";
import { filterText, instant, richText, text } from "../../lib/validation";

const BODY_MAX = 20_000;

/** Sanitised HTML that must still say something once its tags are gone. */
const messageBody = () =>
  richText({ max: BODY_MAX })
    .refine((html) => richTextToPlain(html).length > 0, "Must contain some text")
    .openapi({
      description:
        "HTML (a safe subset of formatting tags is kept, the rest escaped) or plain text; " +
        `at most ${BODY_MAX} characters`,
    });

export const TicketIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const CreateTicketBody = z
  .strictObject({
    subject: text({ max: 200 }),
    body: messageBody(),
    category: z.enum(ticketCategories),
    enrolmentId: z.uuid().optional().openapi({ description: "One of your own enrolments" }),
    paymentId: z.uuid().optional().openapi({ description: "One of your own payments" }),
  })
  .openapi("CreateTicketBody");
export type CreateTicketBody = z.infer<typeof CreateTicketBody>;

export const StudentReplyBody = z.strictObject({ body: messageBody() }).openapi("TicketReplyBody");
export type StudentReplyBody = z.infer<typeof StudentReplyBody>;

export const AdminReplyBody = z
  .strictObject({
    body: messageBody(),
    internal: z.boolean().default(false).openapi({
      description: "An internal note: admins only, never shown or sent to the student",
    }),
    status: z.enum(ticketStatuses).optional().openapi({
      description: "Move the ticket in the same step (e.g. pending when asking a question)",
    }),
  })
  .openapi("AdminTicketReplyBody");
export type AdminReplyBody = z.infer<typeof AdminReplyBody>;

export const RatingBody = z
  .strictObject({
    score: z.number().int().min(1).max(5),
    comment: text({ max: 2000 }).optional(),
  })
  .openapi("TicketRatingBody");
export type RatingBody = z.infer<typeof RatingBody>;

export const UpdateTicketBody = z
  .strictObject({
    status: z
      .enum(ticketStatuses)
      .optional()
      .openapi({
        description:
          "open → pending | on_hold | solved; pending → open | on_hold | solved; on_hold → open " +
          "| pending | solved; solved → open | closed; closed is final. Anything else is 409 " +
          "with allowedNextStatuses",
      }),
    priority: z.enum(ticketPriorities).optional(),
    assigneeId: z
      .uuid()
      .nullable()
      .optional()
      .openapi({ description: "An active admin or super admin; null unassigns" }),
  })
  .openapi("UpdateTicketBody");
export type UpdateTicketBody = z.infer<typeof UpdateTicketBody>;

const TicketBase = z.object({
  id: z.uuid(),
  number: z.string().openapi({ example: "TKT-2026-000123" }),
  subject: z.string(),
  category: z.enum(ticketCategories),
  priority: z.enum(ticketPriorities),
  status: z.enum(ticketStatuses),
  enrolmentId: z.uuid().nullable(),
  paymentId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  lastActivityAt: z.iso.datetime(),
  solvedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
});

export const TicketSummarySchema = TicketBase.openapi("TicketSummary");
export type TicketSummary = z.infer<typeof TicketSummarySchema>;

const RatingSchema = z
  .object({ score: z.number().int(), comment: z.string().nullable(), ratedAt: z.iso.datetime() })
  .nullable();

export const AttachmentSchema = z
  .object({
    id: z.uuid(),
    fileName: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int(),
    uploadedBy: z.enum(["student", "support"]),
    createdAt: z.iso.datetime(),
    url: z.string().openapi({ description: "GET it (with your token) to download the file" }),
  })
  .openapi("TicketAttachment");
export type AttachmentView = z.infer<typeof AttachmentSchema>;

const StudentMessageSchema = z
  .object({
    id: z.uuid(),
    author: z.enum(["student", "support"]),
    authorName: z.string().nullable(),
    bodyHtml: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi("TicketMessage");

const StudentEventSchema = z
  .object({
    kind: z.string(),
    at: z.iso.datetime(),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .openapi("TicketTimelineEvent");

export const StudentTicketSchema = TicketBase.extend({
  messages: z.array(StudentMessageSchema),
  attachments: z.array(AttachmentSchema),
  timeline: z.array(StudentEventSchema),
  rating: RatingSchema,
  canReply: z.boolean().openapi({
    description: "False when closed, or solved more than 7 days ago (open a new ticket instead)",
  }),
  canRate: z.boolean(),
}).openapi("StudentTicket");
export type StudentTicket = z.infer<typeof StudentTicketSchema>;

export const StudentTicketPage = paginatedSchema(TicketSummarySchema, "TicketPage");

const SlaClockSchema = z.object({
  target: z.number().int().openapi({ description: "Business minutes" }),
  elapsed: z.number().int().openapi({ description: "Business minutes on the clock so far" }),
  state: z.enum(["ok", "at_risk", "breached"]),
  dueAt: z.iso.datetime().nullable().openapi({ description: "Null while the clock is stopped" }),
});

const Person = z.object({ id: z.uuid(), name: z.string(), email: z.string() }).nullable();

export const AdminTicketSummarySchema = TicketBase.extend({
  student: Person,
  assignee: Person,
  firstRespondedAt: z.iso.datetime().nullable(),
  firstResponseDueAt: z.iso.datetime().nullable(),
  resolutionDueAt: z.iso.datetime().nullable(),
  firstResponseSla: z.enum(["ok", "at_risk", "breached"]),
  resolutionSla: z.enum(["ok", "at_risk", "breached"]),
  rating: RatingSchema,
}).openapi("AdminTicketSummary");
export type AdminTicketSummary = z.infer<typeof AdminTicketSummarySchema>;

export const AdminTicketPage = paginatedSchema(AdminTicketSummarySchema, "AdminTicketPage");

export const AdminTicketSchema = AdminTicketSummarySchema.extend({
  messages: z.array(
    StudentMessageSchema.extend({
      authorId: z.uuid().nullable(),
      internal: z.boolean(),
      bodyText: z.string(),
    }),
  ),
  attachments: z.array(AttachmentSchema),
  timeline: z.array(
    z.object({
      kind: z.string(),
      at: z.iso.datetime(),
      actorId: z.uuid().nullable(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  sla: z.object({ firstResponse: SlaClockSchema, resolution: SlaClockSchema }),
  allowedNextStatuses: z.array(z.enum(ticketStatuses)),
}).openapi("AdminTicket");
export type AdminTicket = z.infer<typeof AdminTicketSchema>;

const trueFalse = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .optional();

export const AdminTicketListQuery = keysetQuery.extend({
  status: z.enum(ticketStatuses).optional(),
  priority: z.enum(ticketPriorities).optional(),
  category: z.enum(ticketCategories).optional(),
  assignee: z
    .union([z.uuid(), z.literal("none")])
    .optional()
    .openapi({ description: "An admin's user id, or `none` for unassigned tickets" }),
  breached: trueFalse.openapi({
    description:
      "true: tickets that missed a deadline (recorded, or a due time already past); false: the rest",
  }),
  q: filterText(200)
    .optional()
    .openapi({ description: "Words in the subject or any message or note (English stemming)" }),
});
export type AdminTicketListQuery = z.infer<typeof AdminTicketListQuery>;

export const TicketStatsQuery = z.object({
  from: instant().optional().openapi({ description: "Default: 30 days before `to`" }),
  to: instant().optional().openapi({ description: "Default: now" }),
});
export type TicketStatsQuery = z.infer<typeof TicketStatsQuery>;

const countBy = <T extends readonly [string, ...string[]]>(keys: T) =>
  z.object(
    Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T[number], z.ZodNumber>,
  );

export const TicketStatsSchema = z
  .object({
    open: z.object({
      total: z.number().int().openapi({ description: "Not solved or closed" }),
      byPriority: countBy(ticketPriorities),
      byCategory: countBy(ticketCategories),
    }),
    sla: z.object({
      atRisk: z.number().int().openapi({ description: "Unsolved tickets about to breach" }),
      breached: z.number().int().openapi({ description: "Unsolved tickets past a deadline" }),
      tickets: z
        .array(
          z.object({
            id: z.uuid(),
            number: z.string(),
            subject: z.string(),
            priority: z.enum(ticketPriorities),
            state: z.enum(["at_risk", "breached"]),
            target: z.enum(["first_response", "resolution"]),
            dueAt: z.iso.datetime().nullable().openapi({
              description: "Null for a recorded breach whose clock is stopped now (pending)",
            }),
          }),
        )
        .openapi({ description: "At risk or breached, soonest deadline first (at most 50)" }),
    }),
    range: z.object({
      from: z.iso.datetime(),
      to: z.iso.datetime(),
      created: z.number().int(),
      medianFirstResponseMinutes: z.number().nullable().openapi({
        description:
          "Wall-clock minutes from creation to the first public reply, tickets created in the range",
      }),
      medianResolutionMinutes: z.number().nullable().openapi({
        description: "Wall-clock minutes from creation to solved, tickets solved in the range",
      }),
    }),
  })
  .openapi("TicketStats");
export type TicketStats = z.infer<typeof TicketStatsSchema>;
