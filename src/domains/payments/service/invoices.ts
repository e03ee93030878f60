/**
 * GST tax invoices and credit notes: issued inside the transaction that makes a payment `paid`
 * (or accepts a refund), numbered by next_document_number() (migration 0026) so a rollback
 * leaves no gap, and copied in full (supplier, buyer, amounts) so an invoice always says what
 * was true when it was issued.
 */
import { and, eq, sql } from "drizzle-orm";
import {
  batches,
  courses,
  enrolments,
  type Invoice,
  type InvoiceKind,
  invoices,
  type Payment,
  type Refund,
  users,
} from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import type { AppConfig } from "../../../env";
import { type AuditMeta, recordAudit } from "../../../lib/audit";
import { computeGst, creditNoteGst, type GstBreakdown, type StateCode, stateOfGstin } from "./gst";

export const SAC_COACHING = "999293";

/** The supplier's state: the first two digits of its GSTIN. */
export const supplierState = (config: AppConfig): StateCode => stateOfGstin(config.SUPPLIER_GSTIN);

/** The tax split of a catalogue price: what the student pays, and its parts. */
export function priceBreakdown(
  config: AppConfig,
  pricePaise: number,
  buyerState: StateCode | null,
): GstBreakdown {
  return computeGst({
    amountPaise: pricePaise,
    rateBps: config.GST_RATE_BPS,
    inclusive: config.GST_PRICES_INCLUSIVE,
    supplierState: supplierState(config),
    buyerState,
  });
}

/** The breakdown an invoice was issued with (for its credit notes). */
export function invoiceBreakdown(inv: Invoice): GstBreakdown {
  return {
    taxablePaise: inv.taxablePaise,
    cgstPaise: inv.cgstPaise,
    sgstPaise: inv.sgstPaise,
    igstPaise: inv.igstPaise,
    totalPaise: inv.totalPaise,
    rateBps: inv.rateBps,
    placeOfSupply: inv.placeOfSupply as StateCode,
    interState: inv.igstPaise > 0 || inv.placeOfSupply !== inv.supplierGstin.slice(0, 2),
  };
}

/** A document's amount columns from its breakdown. */
function amountColumns(gst: GstBreakdown) {
  const { rateBps, taxablePaise, cgstPaise, sgstPaise, igstPaise, totalPaise } = gst;
  return { rateBps, taxablePaise, cgstPaise, sgstPaise, igstPaise, totalPaise };
}

async function nextNumber(tx: Transaction, kind: InvoiceKind, prefix: string) {
  const result = await tx.execute<{ number: string; financial_year: string; serial: number }>(
    sql`select * from next_document_number(${kind}, ${prefix}, now())`,
  );
  const row = result.rows[0];
  if (!row) throw new Error("next_document_number returned nothing");
  return { number: row.number, financialYear: row.financial_year, serial: Number(row.serial) };
}

/** What the payment bought and who bought it, as the invoice states them. */
async function subjectOf(tx: Transaction, payment: Payment) {
  const [row] = await tx
    .select({
      buyerName: users.fullName,
      buyerEmail: users.email,
      course: courses.title,
      batch: batches.name,
    })
    .from(enrolments)
    .innerJoin(users, eq(users.id, enrolments.userId))
    .innerJoin(batches, eq(batches.id, enrolments.batchId))
    .innerJoin(courses, eq(courses.id, batches.courseId))
    .where(eq(enrolments.id, payment.enrolmentId))
    .limit(1);
  if (!row) throw new Error(`payment ${payment.id} has no enrolment to invoice`);
  return row;
}

/**
 * Issues the payment's tax invoice (once: a second call returns the first). Run it as `system`
 * inside the transaction that makes the payment `paid`.
 */
export async function issueInvoice(
  tx: Transaction,
  config: AppConfig,
  audit: AuditMeta,
  payment: Payment,
): Promise<Invoice> {
  const [existing] = await tx
    .select()
    .from(invoices)
    .where(and(eq(invoices.paymentId, payment.id), eq(invoices.kind, "invoice")))
    .limit(1);
  if (existing) return existing;
  const subject = await subjectOf(tx, payment);
  const buyerState = (payment.buyerState as StateCode | null) ?? null;
  // The amount charged is GST-inclusive whatever the catalogue's convention: split it back.
  const gst = computeGst({
    amountPaise: payment.amountPaise,
    rateBps: config.GST_RATE_BPS,
    inclusive: true,
    supplierState: supplierState(config),
    buyerState,
  });
  const numbered = await nextNumber(tx, "invoice", config.INVOICE_PREFIX);
  const [row] = await tx
    .insert(invoices)
    .values({
      kind: "invoice",
      ...numbered,
      paymentId: payment.id,
      userId: payment.userId,
      buyerName: subject.buyerName,
      buyerEmail: subject.buyerEmail,
      buyerState,
      supplierName: config.SUPPLIER_NAME,
      supplierAddress: config.SUPPLIER_ADDRESS,
      supplierGstin: config.SUPPLIER_GSTIN,
      placeOfSupply: gst.placeOfSupply,
      sac: SAC_COACHING,
      description: `Online coaching: ${subject.course} (${subject.batch})`,
      ...amountColumns(gst),
    })
    .returning();
  if (!row) throw new Error("invoice insert returned nothing");
  await recordAudit(tx, audit, {
    action: "invoice.issue",
    entityType: "invoice",
    entityId: row.id,
    after: { number: row.number, paymentId: payment.id, totalPaise: row.totalPaise },
  });
  return row;
}

/**
 * Issues the credit note of an accepted refund against the payment's invoice: its tax is the
 * difference of the cumulative refunds' shares (creditNoteGst), so a series of partial refunds
 * never credits more tax than was invoiced. Once per refund.
 */
export async function issueCreditNote(
  tx: Transaction,
  config: AppConfig,
  audit: AuditMeta,
  payment: Payment,
  refund: Refund,
  refundedBeforePaise: number,
): Promise<Invoice> {
  const [existing] = await tx
    .select()
    .from(invoices)
    .where(eq(invoices.refundId, refund.id))
    .limit(1);
  if (existing) return existing;
  const original = await issueInvoice(tx, config, audit, payment);
  const gst = creditNoteGst(invoiceBreakdown(original), refund.amountPaise, refundedBeforePaise);
  const numbered = await nextNumber(tx, "credit_note", config.CREDIT_NOTE_PREFIX);
  const [row] = await tx
    .insert(invoices)
    .values({
      kind: "credit_note",
      ...numbered,
      paymentId: payment.id,
      refundId: refund.id,
      originalInvoiceId: original.id,
      userId: payment.userId,
      buyerName: original.buyerName,
      buyerEmail: original.buyerEmail,
      buyerState: original.buyerState,
      supplierName: original.supplierName,
      supplierAddress: original.supplierAddress,
      supplierGstin: original.supplierGstin,
      placeOfSupply: original.placeOfSupply,
      sac: original.sac,
      description: `Refund against ${original.number}: ${refund.reason}`.slice(0, 500),
      ...amountColumns(gst),
    })
    .returning();
  if (!row) throw new Error("credit note insert returned nothing");
  await recordAudit(tx, audit, {
    action: "credit_note.issue",
    entityType: "invoice",
    entityId: row.id,
    after: {
      number: row.number,
      paymentId: payment.id,
      refundId: refund.id,
      totalPaise: row.totalPaise,
    },
  });
  return row;
}
