import { z } from "@hono/zod-openapi";
import { contactSources, leadStatuses } from "../../db/schema";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";
import { email, filterText, instant, text } from "../../lib/validation";

const optionalText = (max: number) => text({ max }).optional();

export const CreateLeadBody = z
  .strictObject({
    name: text({ max: 120 }),
    email: email().optional(),
    phone: text({ max: 32 }).optional().openapi({
      description: "E.164 (+<country><number>) or an Indian number in any common spelling",
      example: "+91 98765 43210",
    }),
    courseInterest: optionalText(200),
    message: optionalText(2000),
    utmSource: optionalText(200),
    utmMedium: optionalText(200),
    utmCampaign: optionalText(200),
    utmTerm: optionalText(200),
    utmContent: optionalText(200),
    consent: z
      .strictObject({
        whatsapp: z.boolean(),
        sms: z.boolean(),
        wording: text({ max: 2000 }).openapi({ description: "The consent text the form showed" }),
      })
      .optional()
      .openapi({ description: "Consent to be contacted on WhatsApp and/or SMS, as given" }),
    turnstileToken: text({ max: 2048 }).openapi({
      description: "The Turnstile widget's response token (cf-turnstile-response)",
    }),
  })
  .openapi("CreateLeadBody", { description: "An email address or a phone number is required" });
export type CreateLeadBody = z.infer<typeof CreateLeadBody>;

export const LeadReceivedSchema = z
  .object({ status: z.literal("received") })
  .openapi("LeadReceived");

export const LeadSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    status: z.enum(leadStatuses),
    lostReason: z.string().nullable(),
    source: z.enum(contactSources),
    courseInterest: z.string().nullable(),
    utm: z.record(z.string(), z.string()),
    assigneeId: z.uuid().nullable(),
    userId: z.uuid().nullable().openapi({ description: "The student account, once linked" }),
    convertedAt: z.iso.datetime().nullable(),
    lastActivityAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Lead");
export type Lead = z.infer<typeof LeadSchema>;

export const LeadPage = paginatedSchema(LeadSchema, "LeadPage");

/** YYYY-MM-DD (midnight in India) or an ISO instant with offset. */
const boundary = (description: string) =>
  z
    .union([
      z.iso.date().refine((v) => {
        const year = Number(v.slice(0, 4));
        return year >= 1970 && year <= 9998;
      }, "Must be a date between 1970-01-01 and 9998-12-31"),
      instant(),
    ])
    .optional()
    .openapi({ description });

export const LeadListQuery = keysetQuery.extend({
  status: z.enum(leadStatuses).optional(),
  source: z.enum(contactSources).optional(),
  assignee: z.uuid().optional().openapi({ description: "The assigned admin's user id" }),
  q: filterText(100)
    .optional()
    .openapi({ description: "Part of the name, email or phone (a phone in any spelling)" }),
  from: boundary("Created at or after: a date (midnight in India, +05:30) or an instant"),
  to: boundary("Created before: a date (midnight in India at its start) or an instant"),
});
export type LeadListQuery = z.infer<typeof LeadListQuery>;

export const LeadIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const UpdateLeadBody = z
  .strictObject({
    status: z
      .enum(leadStatuses)
      .optional()
      .openapi({
        description:
          "new → contacted → qualified (forward, skipping allowed); lost from any open state " +
          "(with lostReason); lost → new reopens; converted only through /convert",
      }),
    lostReason: optionalText(500).openapi({ description: "Required when status is lost" }),
    assigneeId: z
      .uuid()
      .nullable()
      .optional()
      .openapi({ description: "An active admin or super admin; null unassigns" }),
  })
  .openapi("UpdateLeadBody");
export type UpdateLeadBody = z.infer<typeof UpdateLeadBody>;

const ActivityEntry = z
  .object({
    type: z.literal("activity"),
    id: z.string(),
    at: z.iso.datetime(),
    kind: z.string(),
    actorId: z.uuid().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("LeadActivity");

const MessageEntry = z
  .object({
    type: z.literal("message"),
    id: z.uuid(),
    at: z.iso.datetime(),
    conversationId: z.uuid(),
    channel: z.string(),
    direction: z.string(),
    body: z.string(),
    status: z.string(),
    sentBy: z.uuid().nullable(),
  })
  .openapi("LeadMessage");

export const LeadDetailSchema = LeadSchema.extend({
  timeline: z
    .array(z.discriminatedUnion("type", [ActivityEntry, MessageEntry]))
    .openapi({ description: "Activities and messages, newest first, at most 100" }),
  timelineTruncated: z.boolean().openapi({ description: "Older entries exist beyond the 100" }),
}).openapi("LeadDetail");
export type LeadDetail = z.infer<typeof LeadDetailSchema>;

export const ConvertLeadResultSchema = z
  .object({
    lead: LeadSchema,
    userId: z.uuid(),
    linkedExistingUser: z
      .boolean()
      .openapi({ description: "true: a student account with this email existed and was linked" }),
    invitationSent: z
      .boolean()
      .openapi({ description: "A new account: an invitation to set a password was queued" }),
  })
  .openapi("ConvertLeadResult");
export type ConvertLeadResult = z.infer<typeof ConvertLeadResultSchema>;

export const ImportResultSchema = z
  .object({
    rows: z.number().int().openapi({ description: "Data rows read (the header excluded)" }),
    created: z.number().int(),
    merged: z.number().int().openapi({
      description: "Rows that matched an existing contact or an earlier row of the file",
    }),
    rejected: z.number().int(),
    errors: z
      .array(z.object({ line: z.number().int(), field: z.string(), message: z.string() }))
      .openapi({ description: "Why each rejected row was refused (line 1 is the header)" }),
    results: z.array(
      z.object({
        line: z.number().int(),
        contactId: z.uuid(),
        outcome: z.enum(["created", "merged"]),
      }),
    ),
    ignoredColumns: z.array(z.string()),
  })
  .openapi("LeadImportResult");
export type ImportResult = z.infer<typeof ImportResultSchema>;
