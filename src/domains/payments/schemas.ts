import { z } from "@hono/zod-openapi";
import { invoiceKinds, paymentStatuses, refundStatuses } from "../../db/schema";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";
import { text } from "../../lib/validation";
import { refundTypes } from "../../providers/instamojo/types";
import { stateCodeSchema } from "./service/gst";

const uuidParam = () => z.uuid().openapi({ param: { name: "id", in: "path" } });

export const EnrolmentIdParams = z.object({ id: uuidParam() });
export const PaymentIdParams = z.object({ id: uuidParam() });

export const CheckoutBody = z
  .strictObject({
    billingState: stateCodeSchema.optional().openapi({
      description:
        "The student's GST state code (e.g. 29 for Karnataka): the place of supply on the " +
        "invoice. Without it, the supplier's own state (B2C rule).",
      example: "29",
    }),
  })
  .openapi("CheckoutRequest");
export type CheckoutInput = z.infer<typeof CheckoutBody>;

export const CheckoutSchema = z
  .object({
    paymentId: z.string(),
    checkoutUrl: z
      .url()
      .openapi({ description: "Instamojo's payment page: send the student here" }),
    expiresAt: z.string().openapi({ description: "The page stops taking payments then" }),
    amountPaise: z.number().int().openapi({ description: "What the student pays, GST included" }),
    status: z.enum(paymentStatuses),
  })
  .openapi("Checkout");
export type CheckoutView = z.infer<typeof CheckoutSchema>;

export const PaymentReturnQuery = z.object({
  payment_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  payment_status: z.string().max(32).optional(),
  payment_request_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});

export const InstamojoWebhookAnswer = z
  .object({
    outcome: z.enum(["paid", "failed", "pending", "duplicate", "flagged", "unknown"]),
  })
  .openapi("InstamojoWebhookAnswer");

export const InvoiceSchema = z
  .object({
    id: z.string(),
    kind: z.enum(invoiceKinds),
    number: z.string().openapi({ example: "INV/26-27/000001" }),
    financialYear: z.string().openapi({ example: "2026-27" }),
    issuedAt: z.string(),
    paymentId: z.string(),
    originalInvoiceNumber: z.string().nullable(),
    description: z.string(),
    placeOfSupply: z.string(),
    sac: z.string(),
    rateBps: z.number().int(),
    taxablePaise: z.number().int(),
    cgstPaise: z.number().int(),
    sgstPaise: z.number().int(),
    igstPaise: z.number().int(),
    totalPaise: z.number().int(),
    pdfUrl: z.string().openapi({ description: "GET it with your access token" }),
  })
  .openapi("Invoice");
export type InvoiceView = z.infer<typeof InvoiceSchema>;
export const MyInvoicesQuery = keysetQuery;
export const InvoicePage = paginatedSchema(InvoiceSchema, "InvoicePage");

export const InvoicePdfParams = z.object({
  id: z
    .string()
    .regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\.pdf$/,
      "an invoice id followed by .pdf",
    )
    .openapi({
      param: { name: "id", in: "path" },
      example: "0b6c2a8e-52b1-4c53-9a55-3c3f2f1d9e10.pdf",
    }),
});

export const CreateRefundBody = z
  .strictObject({
    amountPaise: z.number().int().positive().max(20_000_000).optional().openapi({
      description: "Default: everything paid and not refunded yet",
    }),
    type: z.enum(refundTypes).openapi({
      description:
        "Instamojo's reason code: RFD duplicate or delayed payment, TNR service not available, " +
        "QFL customer not satisfied, QNR not received, EWN digital download issue, TAN event " +
        "cancelled or changed, PTH other",
    }),
    reason: text({ min: 3, max: 500 }),
  })
  .openapi("CreateRefundRequest");
export type CreateRefundInput = z.infer<typeof CreateRefundBody>;

export const RefundSchema = z
  .object({
    id: z.string(),
    paymentId: z.string(),
    amountPaise: z.number().int(),
    type: z.string(),
    reason: z.string(),
    status: z.enum(refundStatuses).openapi({
      description: "requested (Instamojo not reached yet: retried), pending, refunded or failed",
    }),
    createdAt: z.string(),
    creditNote: z.object({ id: z.string(), number: z.string() }).nullable(),
    payment: z.object({
      status: z.enum(paymentStatuses),
      refundedPaise: z.number().int(),
    }),
  })
  .openapi("Refund");
export type RefundView = z.infer<typeof RefundSchema>;
