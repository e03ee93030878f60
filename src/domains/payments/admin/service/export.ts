import { and, eq, gte, lt } from "drizzle-orm";
import { invoices, payments } from "../../../../db/schema";
import { runAs } from "../../../../db/transaction";
import { keysetPage, listScope } from "../../../../lib/pagination";
import type { ServiceContext } from "../../../../lib/service-context";
import { csvRow, rupees } from "./csv";
import { exportRange, formatIst } from "./time";
import { selectPayments } from "./views";

/** Rows per database read: one HTTP round trip each, the stream's only buffer. */
export const EXPORT_PAGE_SIZE = 500;

export const EXPORT_HEADER = [
  "Payment ID",
  "Created at (IST)",
  "Paid at (IST)",
  "Status",
  "Student name",
  "Email",
  "Course",
  "Batch",
  "Amount (INR)",
  "Refunded (INR)",
  "Invoice number",
  "Taxable (INR)",
  "CGST (INR)",
  "SGST (INR)",
  "IGST (INR)",
  "Instamojo request ID",
  "Instamojo payment ID",
] as const;

/** Excel reads a CSV as UTF-8 (names in Devanagari, Tamil, …) only after a byte-order mark. */
const BOM = "\uFEFF";

const fileStamp = (value: string) => value.replace(/[^0-9A-Za-z-]/g, "");

/**
 * Payments created in [from, to), oldest first, as a CSV stream: each pull of the stream reads
 * the next keyset page, so memory holds one page whatever the range. The first page is read
 * before answering, so a database failure is a problem response rather than a cut-off file.
 */
export async function exportPaymentsCsv(
  ctx: ServiceContext,
  input: { from: string; to: string },
): Promise<{ filename: string; body: ReadableStream<Uint8Array> }> {
  const { from, to } = exportRange(input);
  const scope = listScope("export payments", { from: from.toISOString(), to: to.toISOString() });
  const readPage = (cursor: string | undefined) =>
    runAs(ctx.http, ctx.actor, (q) =>
      keysetPage({
        limit: EXPORT_PAGE_SIZE,
        cursor,
        secret: ctx.config.CURSOR_SECRET,
        scope,
        order: { by: [payments.createdAt], id: payments.id, direction: "asc" },
        query: ({ where, orderBy, limit, cursorKey }) =>
          selectPayments(q, {
            cursorKey,
            invoiceNumber: invoices.number,
            taxablePaise: invoices.taxablePaise,
            cgstPaise: invoices.cgstPaise,
            sgstPaise: invoices.sgstPaise,
            igstPaise: invoices.igstPaise,
          })
            .leftJoin(
              invoices,
              and(eq(invoices.paymentId, payments.id), eq(invoices.kind, "invoice")),
            )
            .where(and(gte(payments.createdAt, from), lt(payments.createdAt, to), where))
            .orderBy(...orderBy)
            .limit(limit),
      }),
    );
  type Page = Awaited<ReturnType<typeof readPage>>;
  const encoder = new TextEncoder();
  const encode = (page: Page) =>
    encoder.encode(
      page.data
        .map((r) =>
          csvRow([
            r.id,
            formatIst(r.createdAt),
            formatIst(r.paidAt),
            r.status,
            r.student.fullName,
            r.student.email,
            r.course?.title,
            r.batch?.name,
            rupees(r.amountPaise),
            rupees(r.refundedPaise),
            r.invoiceNumber,
            rupees(r.taxablePaise),
            rupees(r.cgstPaise),
            rupees(r.sgstPaise),
            rupees(r.igstPaise),
            r.providerRequestId,
            r.providerPaymentId,
          ]),
        )
        .join(""),
    );

  const first = await readPage(undefined);
  let cursor = first.pagination.nextCursor;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(BOM + csvRow(EXPORT_HEADER)));
        controller.enqueue(encode(first));
        if (!cursor) controller.close();
      },
      async pull(controller) {
        if (!cursor) return;
        const page = await readPage(cursor);
        cursor = page.pagination.nextCursor;
        controller.enqueue(encode(page));
        if (!cursor) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
  return { filename: `payments-${fileStamp(input.from)}-${fileStamp(input.to)}.csv`, body };
}
