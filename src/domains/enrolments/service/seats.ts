import { and, eq, sql } from "drizzle-orm";
import { batches, courses, enrolments } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";

/** A seat is held for this long while its payment is made (enrolments_guard allows ≤ 31 min). */
export const HOLD_MINUTES = 30;

/** Rows that take a seat: active ones, and holds that have not run out. */
export const takesSeat = sql`(${enrolments.status} = 'active' or (${enrolments.status} = 'pending_payment' and ${enrolments.holdExpiresAt} > now()))`;

/**
 * Takes the batch's seat lock (held until the transaction ends) and counts its seats taken after
 * it, in one round trip: `batch_lock_seats` (migration 0024) says why an advisory lock and not
 * `FOR UPDATE`. The count needs definer's rights (a student sees only their own enrolments), so
 * it is null for a batch the public catalogue does not show: then only an admin may go on, and
 * counts with their own (all-seeing) rights. Seat releases (cancel, expiry) take no lock.
 */
export async function lockBatchSeats(tx: Transaction, batchId: string): Promise<number | null> {
  const result = await tx.execute<{ taken: number | null }>(
    sql`select batch_lock_seats(${batchId}::uuid) as taken`,
  );
  const taken = result.rows[0]?.taken;
  return taken === null || taken === undefined ? null : Number(taken);
}

/** Seats taken, as the caller sees them: for admins, who see every enrolment. */
export async function countSeatsAsCaller(tx: Transaction, batchId: string): Promise<number> {
  const [row] = await tx
    .select({ taken: sql<number>`count(*)::int` })
    .from(enrolments)
    .where(and(eq(enrolments.batchId, batchId), takesSeat));
  return Number(row?.taken ?? 0);
}

/** The batch with its course, price and enrolment window as the database's clock sees them. */
export async function loadBatch(tx: Transaction, batchId: string) {
  const [row] = await tx
    .select({
      batch: {
        id: batches.id,
        name: batches.name,
        startDate: batches.startDate,
        endDate: batches.endDate,
        timezone: batches.timezone,
        status: batches.status,
        capacity: batches.capacity,
      },
      course: { id: courses.id, slug: courses.slug, title: courses.title, status: courses.status },
      // batch_price_paise(): the price enrolments_guard holds a student's enrolment to.
      pricePaise: sql<number>`coalesce(${batches.pricePaiseOverride}, ${courses.pricePaise})`,
      // Before the seat lock: lets a request for a batch already full fail without queueing.
      seatsTakenBefore: sql<number | null>`batch_seats_taken(${batches.id})`,
      window: sql<"not_open" | "open" | "closed">`case
        when now() < ${batches.enrolmentOpensAt} then 'not_open'
        when now() >= ${batches.enrolmentClosesAt} then 'closed' else 'open' end`,
    })
    .from(batches)
    .innerJoin(courses, eq(courses.id, batches.courseId))
    .where(eq(batches.id, batchId))
    .limit(1);
  return row;
}
export type LoadedBatch = NonNullable<Awaited<ReturnType<typeof loadBatch>>>;

/** The caller's enrolment in the batch, locked, with whether its hold is still running. */
export async function lockExisting(tx: Transaction, userId: string, batchId: string) {
  const [row] = await tx
    .select({ enrolment: enrolments, holdLive: sql<boolean>`${enrolments.holdExpiresAt} > now()` })
    .from(enrolments)
    .where(and(eq(enrolments.userId, userId), eq(enrolments.batchId, batchId)))
    .for("update")
    .limit(1);
  return row;
}
