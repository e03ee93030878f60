import { and, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { type Invoice, invoices } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import { type KeysetResult, keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { InvoiceView } from "../schemas";
import type { StateCode } from "./gst";
import { renderInvoicePdf } from "./invoice-pdf";
import { invoiceBreakdown } from "./invoices";

const original = alias(invoices, "original");

export function toInvoiceView(inv: Invoice, originalNumber: string | null): InvoiceView {
  return {
    id: inv.id,
    kind: inv.kind,
    number: inv.number,
    financialYear: inv.financialYear,
    issuedAt: inv.issuedAt.toISOString(),
    paymentId: inv.paymentId,
    originalInvoiceNumber: originalNumber,
    description: inv.description,
    placeOfSupply: inv.placeOfSupply,
    sac: inv.sac,
    rateBps: inv.rateBps,
    taxablePaise: inv.taxablePaise,
    cgstPaise: inv.cgstPaise,
    sgstPaise: inv.sgstPaise,
    igstPaise: inv.igstPaise,
    totalPaise: inv.totalPaise,
    pdfUrl: `/v1/invoices/${inv.id}.pdf`,
  };
}

/** `GET /v1/me/invoices`: the student's invoices and credit notes, newest first (RLS: own). */
export async function listMyInvoices(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string },
): Promise<KeysetResult<InvoiceView>> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("listMyInvoices needs a signed-in user");
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/me/invoices", { user: userId }),
      order: { by: [invoices.issuedAt], id: invoices.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ invoice: invoices, originalNumber: original.number, cursorKey })
          .from(invoices)
          .leftJoin(original, eq(original.id, invoices.originalInvoiceId))
          .where(and(eq(invoices.userId, userId), where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return {
    data: page.data.map((r) => toInvoiceView(r.invoice, r.originalNumber)),
    pagination: page.pagination,
  };
}

/**
 * `GET /v1/invoices/{id}.pdf`: the document as a PDF, for its student or an admin. RLS decides:
 * anyone else's invoice is not found, exactly like one that does not exist.
 */
export async function invoicePdf(
  ctx: ServiceContext,
  id: string,
): Promise<{ number: string; pdf: Uint8Array }> {
  const [row] = await runAs(ctx.http, ctx.actor, (q) =>
    q
      .select({
        invoice: invoices,
        original: { number: original.number, issuedAt: original.issuedAt },
      })
      .from(invoices)
      .leftJoin(original, eq(original.id, invoices.originalInvoiceId))
      .where(eq(invoices.id, id))
      .limit(1),
  );
  if (!row) throw notFound("The invoice was not found.");
  const inv = row.invoice;
  const pdf = await renderInvoicePdf({
    kind: inv.kind,
    number: inv.number,
    issuedAt: inv.issuedAt,
    supplier: { name: inv.supplierName, address: inv.supplierAddress, gstin: inv.supplierGstin },
    buyer: {
      name: inv.buyerName,
      email: inv.buyerEmail,
      address: null,
      stateCode: (inv.buyerState as StateCode | null) ?? null,
    },
    placeOfSupply: inv.placeOfSupply as StateCode,
    sac: "999293",
    description: inv.description,
    gst: invoiceBreakdown(inv),
    reverseCharge: false,
    originalInvoice:
      row.original?.number && row.original.issuedAt
        ? { number: row.original.number, issuedAt: row.original.issuedAt }
        : undefined,
    paymentReference: inv.paymentId,
  });
  return { number: inv.number, pdf };
}
