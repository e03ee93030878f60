import { asc, eq } from "drizzle-orm";
import { invoices, paymentEvents, payments, refunds } from "../../../../db/schema";
import { runAs } from "../../../../db/transaction";
import { notFound } from "../../../../lib/errors";
import type { ServiceContext } from "../../../../lib/service-context";
import type { AdminPaymentDetail } from "../schemas";
import { iso, selectPayments, toAdminPayment } from "./views";

/** One payment with its timeline, refunds and tax documents: one round trip, one snapshot. */
export async function getAdminPayment(
  ctx: ServiceContext,
  id: string,
): Promise<AdminPaymentDetail> {
  const [found, events, refundRows, documents] = await runAs(ctx.http, ctx.actor, (q) =>
    q.batch([
      selectPayments(q, {}).where(eq(payments.id, id)).limit(1),
      q
        .select()
        .from(paymentEvents)
        .where(eq(paymentEvents.paymentId, id))
        .orderBy(asc(paymentEvents.id)),
      q
        .select()
        .from(refunds)
        .where(eq(refunds.paymentId, id))
        .orderBy(asc(refunds.createdAt), asc(refunds.id)),
      q
        .select({
          id: invoices.id,
          kind: invoices.kind,
          number: invoices.number,
          issuedAt: invoices.issuedAt,
          totalPaise: invoices.totalPaise,
          refundId: invoices.refundId,
        })
        .from(invoices)
        .where(eq(invoices.paymentId, id))
        .orderBy(asc(invoices.issuedAt), asc(invoices.id)),
    ]),
  );
  const [row] = found;
  if (!row) throw notFound("The payment was not found.");
  return {
    ...toAdminPayment(row),
    events: events.map((e) => ({
      id: e.id,
      from: e.fromStatus,
      to: e.toStatus,
      cause: e.cause,
      actorId: e.actorId,
      note: e.note,
      providerFields: e.providerFields,
      createdAt: e.createdAt.toISOString(),
    })),
    refunds: refundRows.map((r) => ({
      id: r.id,
      amountPaise: r.amountPaise,
      type: r.type,
      reason: r.reason,
      status: r.status,
      transactionId: r.transactionId,
      providerRefundId: r.providerRefundId,
      providerStatus: r.providerStatus,
      requestedBy: r.requestedBy,
      settledAt: iso(r.settledAt),
      notifiedAt: iso(r.notifiedAt),
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    })),
    invoices: documents.map((d) => ({ ...d, issuedAt: d.issuedAt.toISOString() })),
  };
}
