import { and, asc, eq, gte, inArray, isNotNull, lt, or, type SQL, sql } from "drizzle-orm";
import { payments, refunds } from "../../../../db/schema";
import { runAs } from "../../../../db/transaction";
import { AppError } from "../../../../lib/errors";
import type { ServiceContext } from "../../../../lib/service-context";
import type { PaymentsProvider, Payment as ProviderPayment } from "../../../../providers/instamojo";
import type { Reconciliation } from "../schemas";
import {
  compareWithProvider,
  type Mismatch,
  mapLimit,
  type OurPayment,
  providerUnavailable,
} from "./compare";
import { IST_TIMEZONE, istDay, istToday } from "./time";

/** Payments compared with Instamojo per report; the rest are counted as skipped. */
export const MAX_PROVIDER_CHECKS = 100;
/** Instamojo calls in flight at once (its rate limits are per account). */
const PROVIDER_CONCURRENCY = 4;
const STALE_AFTER_MS = 10 * 60_000;

const tally = (amount: SQL | typeof payments.amountPaise | typeof refunds.amountPaise) => ({
  count: sql<number>`count(*)::int`,
  amountPaise: sql<number>`coalesce(sum(${amount}), 0)`.mapWith(Number),
});

const isBadEnvironment = (err: unknown) =>
  err instanceof AppError && err.code === "BAD_ENVIRONMENT";

/** The configured provider, or null where none is (the placeholder throws BAD_ENVIRONMENT). */
function providerOf(ctx: ServiceContext): PaymentsProvider | null {
  try {
    return ctx.payments;
  } catch (err) {
    if (isBadEnvironment(err)) return null;
    throw err;
  }
}

/**
 * One day in India (Asia/Kolkata): what was paid and refunded, what waits for someone, and where
 * Instamojo disagrees with us about the day's payments. Refunds count on the day they settled
 * (settled_at, else the row's last update) or, while in flight, on the day they were asked for.
 */
export async function reconcilePayments(
  ctx: ServiceContext,
  input: { date?: string; now?: Date },
): Promise<Reconciliation> {
  const now = input.now ?? new Date();
  const date = input.date ?? istToday(now);
  const { start, end } = istDay(date);
  const provider = providerOf(ctx);
  const onDay = (col: typeof payments.paidAt | typeof payments.createdAt) =>
    and(gte(col, start), lt(col, end));
  const settledAt = sql`coalesce(${refunds.settledAt}, ${refunds.updatedAt})`;

  const [[paid], [refunded], [inFlight], [flagged], [staleOpen], candidates] = await runAs(
    ctx.http,
    ctx.actor,
    (q) =>
      q.batch([
        q.select(tally(payments.amountPaise)).from(payments).where(onDay(payments.paidAt)),
        q
          .select(tally(refunds.amountPaise))
          .from(refunds)
          .where(
            and(
              eq(refunds.status, "refunded"),
              sql`${settledAt} >= ${start}`,
              sql`${settledAt} < ${end}`,
            ),
          ),
        q
          .select(tally(refunds.amountPaise))
          .from(refunds)
          .where(
            and(
              inArray(refunds.status, ["requested", "pending"]),
              gte(refunds.createdAt, start),
              lt(refunds.createdAt, end),
            ),
          ),
        q
          .select(tally(payments.amountPaise))
          .from(payments)
          .where(isNotNull(payments.reviewReason)),
        q
          .select(tally(payments.amountPaise))
          .from(payments)
          .where(
            and(
              inArray(payments.status, ["created", "pending"]),
              lt(payments.createdAt, new Date(now.getTime() - STALE_AFTER_MS)),
            ),
          ),
        // The day's payments Instamojo can tell us about, oldest first, with how many there are.
        q
          .select({
            id: payments.id,
            status: payments.status,
            amountPaise: payments.amountPaise,
            currency: payments.currency,
            providerRequestId: sql<string>`${payments.providerRequestId}`,
            providerPaymentId: payments.providerPaymentId,
            total: sql<number>`count(*) over ()`.mapWith(Number),
          })
          .from(payments)
          .where(
            and(
              // Instamojo knows only its own payments (not the dev stand-in's, and vice versa).
              provider ? eq(payments.provider, provider.kind) : undefined,
              isNotNull(payments.providerRequestId),
              or(onDay(payments.createdAt), onDay(payments.paidAt)),
            ),
          )
          .orderBy(asc(payments.createdAt), asc(payments.id))
          .limit(MAX_PROVIDER_CHECKS),
      ]),
  );

  const zero = { count: 0, amountPaise: 0 };
  const total = candidates[0]?.total ?? 0;
  const ours: OurPayment[] = candidates.map(({ total: _t, ...row }) => row);
  const mismatches = provider ? await checkWithProvider(provider, ours) : null;
  return {
    date,
    timezone: IST_TIMEZONE,
    from: start.toISOString(),
    to: end.toISOString(),
    paid: paid ?? zero,
    refunds: { refunded: refunded ?? zero, inFlight: inFlight ?? zero },
    flagged: flagged ?? zero,
    staleOpen: staleOpen ?? zero,
    providerChecked: mismatches !== null,
    checked: mismatches === null ? 0 : ours.length,
    skipped: mismatches === null ? total : total - ours.length,
    mismatches,
  };
}

/**
 * Asks Instamojo about each payment (a few at a time) and compares. A failed call is reported
 * on its row; a provider that turns out not to be configured makes the whole check null.
 */
export async function checkWithProvider(
  provider: PaymentsProvider,
  rows: OurPayment[],
): Promise<Mismatch[] | null> {
  try {
    const perRow = await mapLimit(rows, PROVIDER_CONCURRENCY, async (ours) => {
      try {
        const request = await provider.getPaymentRequest(ours.providerRequestId);
        const ids = new Set(request?.paymentIds ?? []);
        if (ours.providerPaymentId) ids.add(ours.providerPaymentId);
        const found: ProviderPayment[] = [];
        // One call at a time within a row: the concurrency limit is per report.
        for (const id of ids) {
          const payment = await provider.getPayment(id);
          if (payment) found.push(payment);
        }
        return compareWithProvider(ours, { request, payments: found });
      } catch (err) {
        if (isBadEnvironment(err)) throw err;
        return [providerUnavailable(ours)];
      }
    });
    return perRow.flat();
  } catch (err) {
    if (isBadEnvironment(err)) return null;
    throw err;
  }
}
