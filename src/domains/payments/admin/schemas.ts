import { z } from "@hono/zod-openapi";
import {
  invoiceKinds,
  paymentEventCauses,
  paymentProviders,
  paymentStatuses,
  refundStatuses,
} from "../../../db/schema";
import { keysetQuery, paginatedSchema } from "../../../lib/pagination";
import { instant, text } from "../../../lib/validation";
import { mismatchProblems } from "./service/compare";
import { MAX_EXPORT_DAYS } from "./service/time";

/** YYYY-MM-DD, a real calendar date Postgres can hold (its midnight in India, a day later too). */
const calendarDate = () =>
  z.iso.date().refine((value) => {
    const year = Number(value.slice(0, 4));
    return year >= 1970 && year <= 9998;
  }, "Must be a date between 1970-01-01 and 9998-12-31");

const boundary = (which: "from" | "to") =>
  z.union([calendarDate(), instant()]).openapi({
    description:
      which === "from"
        ? "Inclusive. A date (YYYY-MM-DD) means midnight in India (Asia/Kolkata, +05:30); or an ISO instant with offset"
        : "Exclusive. A date (YYYY-MM-DD) means midnight in India (Asia/Kolkata, +05:30) at its start; or an ISO instant with offset",
  });

export const PaymentListQuery = keysetQuery.extend({
  status: z.enum(paymentStatuses).optional(),
  from: boundary("from").optional().openapi({ description: "Created at or after (see `to`)" }),
  to: boundary("to").optional().openapi({
    description:
      "Created before. A date (YYYY-MM-DD) is midnight in India (Asia/Kolkata) at its start: to=2026-04-01 ends with 31 March",
  }),
  q: text({ max: 100 }).optional().openapi({
    description:
      "The student's name or email (substring), or an exact Instamojo payment request id, Instamojo payment id or payment id",
  }),
});
export type PaymentListQuery = z.infer<typeof PaymentListQuery>;

const money = (description?: string) => z.number().int().openapi({ description });

export const AdminPaymentSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(paymentStatuses),
    amountPaise: money("What the student pays, GST included"),
    refundedPaise: money("Refunds Instamojo accepted"),
    currency: z.string(),
    provider: z.enum(paymentProviders),
    providerRequestId: z.string().nullable(),
    providerPaymentId: z.string().nullable(),
    reviewReason: z.string().nullable().openapi({ description: "Set when an admin should look" }),
    createdAt: z.iso.datetime(),
    paidAt: z.iso.datetime().nullable(),
    student: z.object({ id: z.uuid(), email: z.string(), fullName: z.string() }),
    enrolment: z.object({ id: z.uuid(), batchId: z.uuid() }),
    batch: z.object({ id: z.uuid(), name: z.string(), startDate: z.string() }).nullable(),
    course: z.object({ id: z.uuid(), slug: z.string(), title: z.string() }).nullable(),
  })
  .openapi("AdminPayment");
export type AdminPayment = z.infer<typeof AdminPaymentSchema>;

export const AdminPaymentPage = paginatedSchema(AdminPaymentSchema, "AdminPaymentPage");

export const PaymentIdParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

const PaymentEventSchema = z
  .object({
    id: z.number().int(),
    from: z.enum(paymentStatuses).nullable(),
    to: z.enum(paymentStatuses),
    cause: z.enum(paymentEventCauses),
    actorId: z.uuid().nullable(),
    note: z.string().nullable(),
    providerFields: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi("AdminPaymentEvent");

const RefundSchema = z
  .object({
    id: z.uuid(),
    amountPaise: z.number().int(),
    type: z.string().openapi({ description: "Instamojo's reason code (RFD, TNR, …)" }),
    reason: z.string(),
    status: z.enum(refundStatuses),
    transactionId: z.string(),
    providerRefundId: z.string().nullable(),
    providerStatus: z.string().nullable(),
    requestedBy: z.uuid().nullable().openapi({ description: "null: an automatic refund" }),
    settledAt: z.iso.datetime().nullable(),
    notifiedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("AdminRefund");

const InvoiceSummarySchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(invoiceKinds),
    number: z.string(),
    issuedAt: z.iso.datetime(),
    totalPaise: z.number().int(),
    refundId: z.uuid().nullable().openapi({ description: "Credit notes: the refund" }),
  })
  .openapi("AdminInvoiceSummary");

export const AdminPaymentDetailSchema = AdminPaymentSchema.extend({
  events: z.array(PaymentEventSchema).openapi({ description: "The timeline, oldest first" }),
  refunds: z.array(RefundSchema),
  invoices: z.array(InvoiceSummarySchema).openapi({ description: "Invoice and credit notes" }),
}).openapi("AdminPaymentDetail");
export type AdminPaymentDetail = z.infer<typeof AdminPaymentDetailSchema>;

export const ReconciliationQuery = z.object({
  date: calendarDate()
    .optional()
    .openapi({ description: "The day in India (Asia/Kolkata), YYYY-MM-DD. Default: today there" }),
});

const Tally = z
  .object({ count: z.number().int(), amountPaise: z.number().int() })
  .openapi("PaymentTally");

const MismatchSchema = z
  .object({
    paymentId: z.uuid(),
    problem: z.enum(mismatchProblems),
    ourStatus: z.enum(paymentStatuses).nullable(),
    ourAmountPaise: z.number().int().nullable(),
    providerPaymentId: z.string().nullable(),
    providerAmountPaise: z.number().int().nullable(),
  })
  .openapi("PaymentMismatch");

export const ReconciliationSchema = z
  .object({
    date: z.string(),
    timezone: z.literal("Asia/Kolkata"),
    from: z.iso.datetime().openapi({ description: "The day's start (inclusive)" }),
    to: z.iso.datetime().openapi({ description: "The next day's start (exclusive)" }),
    paid: Tally.openapi({ description: "Payments whose paid_at falls on the day" }),
    refunds: z.object({
      refunded: Tally.openapi({
        description: "Refunds settled on the day (status refunded, by settled_at)",
      }),
      inFlight: Tally.openapi({
        description: "Refunds asked for on the day and not settled yet (requested or pending)",
      }),
    }),
    flagged: Tally.openapi({
      description: "Payments flagged for review (review_reason set), whatever their day",
    }),
    staleOpen: Tally.openapi({
      description: "Payments still created or pending 10 minutes after they were created",
    }),
    providerChecked: z.boolean().openapi({
      description: "false: no payments provider is configured; `mismatches` is null",
    }),
    checked: z.number().int().openapi({ description: "Payments compared with the provider" }),
    skipped: z.number().int().openapi({
      description:
        "The day's payments not compared: over the cap of 100, or all of them when no provider is configured",
    }),
    mismatches: z.array(MismatchSchema).nullable().openapi({
      description:
        "Where Instamojo disagrees about the day's payments (created or paid that day, with a payment request, through the configured provider), oldest first",
    }),
  })
  .openapi("PaymentReconciliation");
export type Reconciliation = z.infer<typeof ReconciliationSchema>;

export const ExportQuery = z.object({
  from: boundary("from"),
  to: boundary("to").openapi({
    description: `Exclusive; at most ${MAX_EXPORT_DAYS} days after \`from\`. A date is midnight in India at its start`,
  }),
});
