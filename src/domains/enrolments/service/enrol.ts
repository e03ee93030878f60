import { eq, type SQL, sql } from "drizzle-orm";
import { type Enrolment, enrolments, type NewEnrolment } from "../../../db/schema";
import { enterContext, runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { invalidateCoursePage } from "../../catalogue/public";
import type { CreateEnrolmentInput, EnrolmentView } from "../schemas";
import { HOLD_MINUTES, type LoadedBatch, loadBatch, lockBatchSeats, lockExisting } from "./seats";
import { auditEnrolment, toEnrolmentView } from "./views";

export interface EnrolResult {
  enrolment: EnrolmentView;
  /** False when the student already held a seat: the existing enrolment, unchanged (200). */
  created: boolean;
}

export const batchFull = (capacity: number) =>
  new AppError({
    code: "BATCH_FULL",
    detail: "Every seat in this batch is taken.",
    extensions: { capacity },
  });

/** 409 unless the batch takes enrolments now (status and window). */
export function assertOpen(b: LoadedBatch) {
  if (b.batch.status !== "scheduled" && b.batch.status !== "running") {
    throw new AppError({
      code: "ENROLMENT_CLOSED",
      detail: `The batch is ${b.batch.status}: it takes no enrolments.`,
      extensions: { reason: b.batch.status },
    });
  }
  if (b.window !== "open") {
    throw new AppError({
      code: "ENROLMENT_CLOSED",
      detail:
        b.window === "not_open"
          ? "Enrolment in this batch has not opened yet."
          : "Enrolment in this batch has closed.",
      extensions: { reason: b.window },
    });
  }
}

/**
 * `POST /v1/enrolments`: the signed-in student takes a seat. Free (price 0): `active` at once.
 * Paid: `pending_payment`, the seat held for 30 minutes. One row per student and batch: a seat
 * already held is returned as it is; a cancelled or expired one is taken again, subject to
 * capacity. Capacity is exact under concurrency: in one transaction, the batch's seat lock and
 * count (`lockBatchSeats`), then the write; the lock is held for three round trips only.
 */
export async function enrol(
  ctx: ServiceContext,
  input: CreateEnrolmentInput,
): Promise<EnrolResult> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("enrol needs a signed-in student");
  const { batchId } = input;
  const result = await runAs(ctx.db, ctx.actor, async (tx) => {
    // The answer, stored for Idempotency-Key replays in this transaction: the record commits
    // with the seat it describes, or not at all.
    const answer = async (row: Enrolment, b: LoadedBatch, created: boolean) => {
      await ctx.idempotency?.complete(tx, {
        status: created ? 201 : 200,
        body: toEnrolmentView(row, b.batch, b.course),
      });
      return { row, b, created };
    };
    // RLS shows a student only public batches: unknown, draft, archived or cancelled → 404.
    const b = await loadBatch(tx, batchId);
    if (b?.course.status !== "published" || b.batch.status === "cancelled") {
      throw notFound("The batch was not found.");
    }
    // The student's own row first, then the batch's seat lock: grants lock in the same order.
    const existing = await lockExisting(tx, userId, batchId);
    if (existing && holdsSeat(existing.enrolment, existing.holdLive)) {
      return answer(existing.enrolment, b, false);
    }
    assertOpen(b);
    if ((b.seatsTakenBefore ?? 0) >= b.batch.capacity) throw batchFull(b.batch.capacity);
    if (existing?.enrolment.status === "pending_payment") {
      // A hold that ran out before the expiry job got to it: expire it as the job would
      // (enrolments_guard lets a student renew only a cancelled or expired row).
      await expireInline(tx, ctx, existing.enrolment.id);
    }
    if (((await lockBatchSeats(tx, batchId)) ?? 0) >= b.batch.capacity) {
      throw batchFull(b.batch.capacity);
    }
    const free = b.pricePaise === 0;
    const row = await writeSeat(tx, userId, batchId, existing?.enrolment, {
      status: free ? "active" : "pending_payment",
      source: "self",
      grantReason: null,
      pricePaise: b.pricePaise,
      // The database's clock, as enrolments_guard checks it (≤ now() + 31 minutes).
      holdExpiresAt: free ? null : sql`now() + make_interval(mins => ${HOLD_MINUTES})`,
      activatedAt: free ? sql`now()` : null,
      cancelledAt: null,
    });
    if (!row) {
      // This student's own concurrent request inserted the row first: answer with it.
      const raced = await lockExisting(tx, userId, batchId);
      if (raced) return answer(raced.enrolment, b, false);
      throw new Error("enrolment insert conflicted, yet no row exists");
    }
    await recordAudit(tx, ctx.audit, {
      action: existing ? "enrolment.renew" : "enrolment.create",
      entityType: "enrolment",
      entityId: row.id,
      before: existing ? auditEnrolment(existing.enrolment) : null,
      after: auditEnrolment(row),
    });
    return answer(row, b, true);
  });
  if (result.created) await invalidateCoursePage(ctx, result.b.course.slug);
  return {
    enrolment: toEnrolmentView(result.row, result.b.batch, result.b.course),
    created: result.created,
  };
}

type SeatColumns = Pick<
  NewEnrolment,
  | "status"
  | "source"
  | "grantReason"
  | "pricePaise"
  | "holdExpiresAt"
  | "activatedAt"
  | "cancelledAt"
>;
/** The columns a seat write sets; instants may be the database's clock (`now()`). */
type SeatValues = { [K in keyof SeatColumns]: SeatColumns[K] | SQL };

/**
 * Takes the seat: renews the student's existing row, or inserts theirs; undefined when a
 * concurrent insert of the same student and batch won (the unique key decides).
 */
export async function writeSeat(
  tx: Transaction,
  userId: string,
  batchId: string,
  existing: Enrolment | undefined,
  values: SeatValues,
): Promise<Enrolment | undefined> {
  const [row] = existing
    ? await tx.update(enrolments).set(values).where(eq(enrolments.id, existing.id)).returning()
    : await tx
        .insert(enrolments)
        .values({ userId, batchId, ...values })
        .onConflictDoNothing({ target: [enrolments.userId, enrolments.batchId] })
        .returning();
  return row;
}

export const holdsSeat = (e: Enrolment, holdLive: boolean | null) =>
  e.status === "active" || (e.status === "pending_payment" && holdLive === true);

/** Expires one lapsed hold as `system` inside the caller's transaction, then returns to them. */
async function expireInline(tx: Transaction, ctx: ServiceContext, id: string) {
  await enterContext(tx, SYSTEM);
  await tx
    .update(enrolments)
    .set({ status: "expired", holdExpiresAt: null })
    .where(eq(enrolments.id, id));
  await recordAudit(
    tx,
    { ...ctx.audit, actorId: null, actorRole: "system" },
    {
      action: "enrolment.expire",
      entityType: "enrolment",
      entityId: id,
    },
  );
  await enterContext(tx, ctx.actor);
}
