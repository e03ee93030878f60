import { z } from "@hono/zod-openapi";
import { batchStatuses, enrolmentSources, enrolmentStatuses } from "../../db/schema";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";
import { text } from "../../lib/validation";

const id = () => z.uuid().openapi({ example: "0b6c2a8e-52b1-4c53-9a55-3c3f2f1d9e10" });

export const CreateEnrolmentBody = z
  .strictObject({ batchId: id().openapi({ description: "The batch to enrol in" }) })
  .openapi("CreateEnrolmentRequest");
export type CreateEnrolmentInput = z.infer<typeof CreateEnrolmentBody>;

export const GrantEnrolmentBody = z
  .strictObject({
    userId: id().openapi({ description: "The student to enrol (an active student account)" }),
    reason: text({ min: 3, max: 500 }).openapi({ description: "Why (kept on the enrolment)" }),
    overCapacity: z.boolean().optional().openapi({
      description: "Grant the seat even when the batch is full (default false: 409 BATCH_FULL)",
    }),
  })
  .openapi("GrantEnrolmentRequest");
export type GrantEnrolmentInput = z.infer<typeof GrantEnrolmentBody>;

export const EnrolmentIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
export const BatchIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const EnrolmentSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    status: z.enum(enrolmentStatuses).openapi({
      description:
        "pending_payment (a seat held until holdExpiresAt), active, cancelled or expired (a hold ran out)",
    }),
    source: z.enum(enrolmentSources),
    pricePaise: z.number().int().openapi({ description: "INR paise owed for the seat; 0 = free" }),
    holdExpiresAt: z.string().nullable().openapi({
      description: "While pending_payment: the seat is held until then (30 minutes)",
    }),
    activatedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    course: z.object({ id: z.string(), slug: z.string(), title: z.string() }),
    batch: z.object({
      id: z.string(),
      name: z.string(),
      startDate: z.string(),
      endDate: z.string(),
      timezone: z.string(),
      status: z.enum(batchStatuses),
    }),
  })
  .openapi("Enrolment");
export type EnrolmentView = z.infer<typeof EnrolmentSchema>;

export const CancelledEnrolmentSchema = EnrolmentSchema.extend({
  refund: z
    .object({
      id: z.string(),
      amountPaise: z.number().int(),
      status: z.enum(["requested", "pending", "refunded", "failed"]),
    })
    .nullable()
    .openapi({ description: "The refund of what was paid for the seat, if anything was" }),
}).openapi("CancelledEnrolment");
export type CancelledEnrolmentView = z.infer<typeof CancelledEnrolmentSchema>;

export const MyEnrolmentsQuery = keysetQuery;
export type MyEnrolmentsInput = z.infer<typeof MyEnrolmentsQuery>;
export const EnrolmentPage = paginatedSchema(EnrolmentSchema, "EnrolmentPage");

export const RosterEntrySchema = z
  .object({
    enrolmentId: z.string(),
    userId: z.string(),
    fullName: z.string(),
    email: z.string(),
    status: z.enum(enrolmentStatuses),
    source: z.enum(enrolmentSources),
    enrolledAt: z.string(),
    activatedAt: z.string().nullable(),
    attendance: z.object({
      attendedSeconds: z.number().int(),
      heldSeconds: z.number().int().openapi({ description: "Length of the sessions held so far" }),
      percent: z.number().int().nullable().openapi({
        description: "Rounded down; null until a session has been held",
      }),
    }),
  })
  .openapi("RosterEntry");
export type RosterEntryView = z.infer<typeof RosterEntrySchema>;

export const RosterQuery = keysetQuery;
export type RosterInput = z.infer<typeof RosterQuery>;
export const RosterPage = paginatedSchema(RosterEntrySchema, "RosterPage");
