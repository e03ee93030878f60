import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";
import { enrolments } from "./enrolments";
import { users } from "./users";

/**
 * A payment moves forward only (payments_guard, migration 0026, enforces it for every role):
 *   created → pending | failed | expired
 *   pending → paid | failed | expired
 *   failed | expired → paid   (Instamojo confirms money taken later: it is never left unrecorded)
 *   paid → partially_refunded | refunded;  partially_refunded → partially_refunded | refunded
 * `created`: our row exists, Instamojo's payment request not yet (or its outcome unknown);
 * `pending`: the request exists and can be paid.
 */
export const paymentStatuses = [
  "created",
  "pending",
  "paid",
  "failed",
  "expired",
  "partially_refunded",
  "refunded",
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const paymentProviders = ["instamojo", "dev"] as const;

/**
 * One checkout of one enrolment: an Instamojo payment request, and the payment made against it.
 * Written only by trusted server code (the `system` context); a student reads their own.
 */
export const payments = pgTable(
  "payments",
  {
    id: uuid().primaryKey().defaultRandom(),
    enrolmentId: uuid("enrolment_id")
      .notNull()
      .references(() => enrolments.id, { onDelete: "restrict" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    status: text({ enum: paymentStatuses }).notNull().default("created"),
    /** What the student pays, GST included (integer paise). */
    amountPaise: integer("amount_paise").notNull(),
    currency: text().notNull().default("INR"),
    provider: text({ enum: paymentProviders }).notNull(),
    /** Instamojo's payment request id (32 hex); null while `created`. */
    providerRequestId: text("provider_request_id"),
    /** Instamojo's payment id (`MOJO…`) of the payment that settled it. */
    providerPaymentId: text("provider_payment_id"),
    checkoutUrl: text("checkout_url"),
    /** The payment request stops taking payments then (the seat hold's end). */
    expiresAt: timestamp("expires_at", tz).notNull(),
    /** The GST state code the student gave at checkout (place of supply); null = none given. */
    buyerState: text("buyer_state"),
    /** Sum of refunds Instamojo accepted. */
    refundedPaise: integer("refunded_paise").notNull().default(0),
    /** Set when something does not add up (amount, currency, a second payment): an admin looks. */
    reviewReason: text("review_reason"),
    paidAt: timestamp("paid_at", tz),
    /** The receipt email went out (null while it is due: the scheduled job resends). */
    receiptSentAt: timestamp("receipt_sent_at", tz),
    ...timestamps,
  },
  (t) => [
    unique("payments_provider_request_key").on(t.providerRequestId),
    // Unique on Instamojo's payment id: one payment settles one checkout, once.
    unique("payments_provider_payment_key").on(t.providerPaymentId),
    check(
      "payments_status_check",
      sql`${t.status} in ('created', 'pending', 'paid', 'failed', 'expired', 'partially_refunded', 'refunded')`,
    ),
    check("payments_provider_check", sql`${t.provider} in ('instamojo', 'dev')`),
    check("payments_amount_check", sql`${t.amountPaise} > 0`),
    check(
      "payments_refunded_check",
      sql`${t.refundedPaise} >= 0 and ${t.refundedPaise} <= ${t.amountPaise}`,
    ),
    check("payments_buyer_state_check", sql`${t.buyerState} ~ '^[0-9]{2}$'`),
    check(
      "payments_paid_check",
      sql`(${t.status} in ('paid', 'partially_refunded', 'refunded')) = (${t.paidAt} is not null and ${t.providerPaymentId} is not null)`,
    ),
    // One open checkout per enrolment: a second is reused, never duplicated.
    uniqueIndex("payments_open_per_enrolment_idx")
      .on(t.enrolmentId)
      .where(sql`${t.status} in ('created', 'pending')`),
    index("payments_enrolment_idx").on(t.enrolmentId, t.createdAt),
    index("payments_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    // Admin list (newest first, optionally by status) and the reconciliation of a day.
    index("payments_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("payments_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("payments_paid_at_idx").on(t.paidAt).where(sql`${t.paidAt} is not null`),
    // The reconciliation job: open checkouts, oldest first.
    index("payments_open_idx").on(t.updatedAt).where(sql`${t.status} in ('created', 'pending')`),
    index("payments_receipt_due_idx")
      .on(t.paidAt)
      .where(sql`${t.paidAt} is not null and ${t.receiptSentAt} is null`),
  ],
);
export type Payment = typeof payments.$inferSelect;

/** What caused a payment's transition (or a flag). */
export const paymentEventCauses = [
  "checkout",
  "webhook",
  "return",
  "reconcile",
  "refund",
  "system",
] as const;
export type PaymentEventCause = (typeof paymentEventCauses)[number];

/** The timeline: every transition (and every flag) with who or what caused it. */
export const paymentEvents = pgTable(
  "payment_events",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id, { onDelete: "restrict" }),
    fromStatus: text("from_status", { enum: paymentStatuses }),
    toStatus: text("to_status", { enum: paymentStatuses }).notNull(),
    cause: text({ enum: paymentEventCauses }).notNull(),
    /** The user whose request caused it (student, admin); null = provider or scheduled job. */
    actorId: uuid("actor_id"),
    /** A short machine-readable note, e.g. `amount_mismatch`, `seat_taken`. */
    note: text(),
    /** The provider's raw fields (webhook form minus `mac`, or the API's payment object). */
    providerFields: jsonb("provider_fields").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [index("payment_events_payment_idx").on(t.paymentId, t.id)],
);
export type PaymentEvent = typeof paymentEvents.$inferSelect;

/**
 * `requested` (our decision, written before Instamojo is called) → `pending` (Instamojo accepted
 * it) → `refunded`, or `failed` (Instamojo refused it). A requested refund is retried with the
 * same `transaction_id`, which Instamojo deduplicates, so a retry never refunds twice.
 */
export const refundStatuses = ["requested", "pending", "refunded", "failed"] as const;
export type RefundStatus = (typeof refundStatuses)[number];

export const refunds = pgTable(
  "refunds",
  {
    id: uuid().primaryKey().defaultRandom(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id, { onDelete: "restrict" }),
    amountPaise: integer("amount_paise").notNull(),
    /** Instamojo's reason code (RFD, TNR, QFL, QNR, EWN, TAN, PTH). */
    type: text().notNull(),
    reason: text().notNull(),
    status: text({ enum: refundStatuses }).notNull().default("requested"),
    /** Sent to Instamojo: derived from the admin's Idempotency-Key, or from the cause. */
    transactionId: text("transaction_id").notNull(),
    providerRefundId: text("provider_refund_id"),
    /** Who asked: an admin, the student (cancel), or null for the system (automatic refund). */
    requestedBy: uuid("requested_by"),
    /** Instamojo's status text as last read. */
    providerStatus: text("provider_status"),
    settledAt: timestamp("settled_at", tz),
    /** The student was told (automatic refunds); null while due. */
    notifiedAt: timestamp("notified_at", tz),
    ...timestamps,
  },
  (t) => [
    unique("refunds_transaction_key").on(t.transactionId),
    unique("refunds_provider_refund_key").on(t.providerRefundId),
    check("refunds_amount_check", sql`${t.amountPaise} > 0`),
    check(
      "refunds_type_check",
      sql`${t.type} in ('RFD', 'TNR', 'QFL', 'QNR', 'EWN', 'TAN', 'PTH')`,
    ),
    check(
      "refunds_status_check",
      sql`${t.status} in ('requested', 'pending', 'refunded', 'failed')`,
    ),
    index("refunds_payment_idx").on(t.paymentId, t.createdAt),
    // The job that sends requested refunds and polls pending ones.
    index("refunds_open_idx").on(t.updatedAt).where(sql`${t.status} in ('requested', 'pending')`),
  ],
);
export type Refund = typeof refunds.$inferSelect;

export const invoiceKinds = ["invoice", "credit_note"] as const;
export type InvoiceKind = (typeof invoiceKinds)[number];

/**
 * GST tax invoices and credit notes (CGST Rule 46 / s.34), immutable once issued: the numbers
 * are consecutive per kind and financial year (`document_counters`), issued inside the
 * transaction that makes the payment `paid` (or accepts the refund), so a rollback leaves no gap.
 * The supplier and buyer are copied in: an invoice says what was true when it was issued.
 */
export const invoices = pgTable(
  "invoices",
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text({ enum: invoiceKinds }).notNull(),
    /** e.g. `INV/26-27/000001`: ≤ 16 characters of letters, digits, `-` and `/`. */
    number: text().notNull(),
    /** `2026-27`: April to March in India's time. */
    financialYear: text("financial_year").notNull(),
    serial: integer().notNull(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id, { onDelete: "restrict" }),
    /** Credit notes: the refund they document. */
    refundId: uuid("refund_id").references(() => refunds.id, { onDelete: "restrict" }),
    /** Credit notes: the invoice they amend. */
    originalInvoiceId: uuid("original_invoice_id"),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    issuedAt: timestamp("issued_at", tz).notNull().defaultNow(),
    buyerName: text("buyer_name").notNull(),
    buyerEmail: text("buyer_email").notNull(),
    buyerState: text("buyer_state"),
    supplierName: text("supplier_name").notNull(),
    supplierAddress: text("supplier_address").notNull(),
    supplierGstin: text("supplier_gstin").notNull(),
    placeOfSupply: text("place_of_supply").notNull(),
    sac: text().notNull().default("999293"),
    description: text().notNull(),
    rateBps: integer("rate_bps").notNull(),
    taxablePaise: integer("taxable_paise").notNull(),
    cgstPaise: integer("cgst_paise").notNull(),
    sgstPaise: integer("sgst_paise").notNull(),
    igstPaise: integer("igst_paise").notNull(),
    totalPaise: integer("total_paise").notNull(),
  },
  (t) => [
    unique("invoices_number_key").on(t.number),
    unique("invoices_series_key").on(t.kind, t.financialYear, t.serial),
    // One tax invoice per payment, one credit note per refund.
    uniqueIndex("invoices_one_per_payment_idx").on(t.paymentId).where(sql`${t.kind} = 'invoice'`),
    uniqueIndex("invoices_one_per_refund_idx").on(t.refundId).where(sql`${t.refundId} is not null`),
    check("invoices_kind_check", sql`${t.kind} in ('invoice', 'credit_note')`),
    check("invoices_number_check", sql`${t.number} ~ '^[A-Za-z0-9/-]{1,16}$'`),
    check(
      "invoices_credit_note_check",
      sql`(${t.kind} = 'credit_note') = (${t.refundId} is not null and ${t.originalInvoiceId} is not null)`,
    ),
    check(
      "invoices_amounts_check",
      sql`${t.taxablePaise} >= 0 and ${t.cgstPaise} >= 0 and ${t.sgstPaise} >= 0 and ${t.igstPaise} >= 0
          and ${t.taxablePaise} + ${t.cgstPaise} + ${t.sgstPaise} + ${t.igstPaise} = ${t.totalPaise}`,
    ),
    check(
      "invoices_tax_split_check",
      sql`${t.igstPaise} = 0 or (${t.cgstPaise} = 0 and ${t.sgstPaise} = 0)`,
    ),
    check("invoices_sac_check", sql`${t.sac} = '999293'`),
    index("invoices_user_issued_idx").on(t.userId, t.issuedAt.desc(), t.id.desc()),
    index("invoices_payment_idx").on(t.paymentId),
  ],
);
export type Invoice = typeof invoices.$inferSelect;

/** The last serial issued per document kind and financial year (gapless, see invoices). */
export const documentCounters = pgTable(
  "document_counters",
  {
    kind: text({ enum: invoiceKinds }).notNull(),
    financialYear: text("financial_year").notNull(),
    lastSerial: integer("last_serial").notNull(),
  },
  (t) => [primaryKey({ name: "document_counters_pkey", columns: [t.kind, t.financialYear] })],
);
