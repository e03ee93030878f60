import { eq, type SQL, sql } from "drizzle-orm";
import {
  enrolments,
  type Payment,
  type PaymentEventCause,
  type PaymentStatus,
  paymentEvents,
  payments,
} from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import { type AuditMeta, recordAudit } from "../../../lib/audit";
import type { ServiceContext } from "../../../lib/service-context";

/**
 * What the payment flows need: a request's service context, or the scheduled job's equivalent
 * (src/jobs/payments.ts). Nothing here knows HTTP.
 */
export type PaymentsContext = Pick<
  ServiceContext,
  "db" | "http" | "config" | "payments" | "audit" | "waitUntil" | "outbox" | "detached"
> & { idempotency?: ServiceContext["idempotency"] };

/**
 * The same context for work that runs after the response on its own connection (`detached`):
 * the request's Pool closes with the response, so background work must never use it. The
 * request has handed its outbox to the Queue by then: background work that adds notifications
 * flushes the outbox itself after its commits.
 */
export function inBackground(ctx: PaymentsContext, db: PaymentsContext["db"]): PaymentsContext {
  return {
    db,
    http: ctx.http,
    config: ctx.config,
    payments: ctx.payments,
    audit: ctx.audit,
    waitUntil: ctx.waitUntil,
    outbox: ctx.outbox,
    detached: ctx.detached,
  };
}

/** The audit identity of work done for the provider or the scheduled job, not for a person. */
export const systemAudit = (meta: AuditMeta): AuditMeta => ({
  ...meta,
  actorId: null,
  actorRole: "system",
});

/** A payment as the audit log keeps it (no timestamps that change on every write). */
export function auditPayment(p: Payment): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, checkoutUrl: _url, ...rest } = p;
  return rest;
}

type NewPayment = typeof payments.$inferInsert;
/** Columns a transition sets besides the status; instants may be the database's `now()`. */
export type PaymentChanges = { [K in keyof NewPayment]?: NewPayment[K] | SQL };

export interface Transition {
  cause: PaymentEventCause;
  actorId: string | null;
  note?: string | null;
  providerFields?: Record<string, unknown> | null;
}

/**
 * Moves a payment (locked by the caller) to `to` with `changes`, writing its event row and its
 * audit row in the caller's transaction. payments_guard (migration 0026) refuses a move the
 * state machine does not allow, whoever asks.
 */
export async function transition(
  tx: Transaction,
  audit: AuditMeta,
  before: Payment,
  to: PaymentStatus,
  why: Transition,
  changes: PaymentChanges = {},
): Promise<Payment> {
  const [after] = await tx
    .update(payments)
    .set({ ...changes, status: to, updatedAt: sql`now()` })
    .where(eq(payments.id, before.id))
    .returning();
  if (!after) throw new Error(`payment ${before.id} vanished under its lock`);
  await tx.insert(paymentEvents).values({
    paymentId: before.id,
    fromStatus: before.status,
    toStatus: to,
    cause: why.cause,
    actorId: why.actorId,
    note: why.note ?? null,
    providerFields: why.providerFields ?? null,
  });
  await recordAudit(tx, audit, {
    action: `payment.${to}`,
    entityType: "payment",
    entityId: before.id,
    before: auditPayment(before),
    after: { ...auditPayment(after), cause: why.cause, note: why.note ?? null },
  });
  return after;
}

/**
 * Flags a payment for an admin's review without moving it (an amount that does not match, a
 * second payment): the event row says why, and nothing is activated.
 */
export async function flag(
  tx: Transaction,
  audit: AuditMeta,
  before: Payment,
  reason: string,
  why: Omit<Transition, "note">,
): Promise<void> {
  await tx
    .update(payments)
    .set({ reviewReason: before.reviewReason ?? reason, updatedAt: sql`now()` })
    .where(eq(payments.id, before.id));
  await tx.insert(paymentEvents).values({
    paymentId: before.id,
    fromStatus: before.status,
    toStatus: before.status,
    cause: why.cause,
    actorId: why.actorId,
    note: reason,
    providerFields: why.providerFields ?? null,
  });
  await recordAudit(tx, audit, {
    action: "payment.flag",
    entityType: "payment",
    entityId: before.id,
    after: { reason, cause: why.cause },
  });
}

/**
 * Locks a payment's enrolment, then the payment, for the rest of the transaction. Every path
 * that touches both takes them in this order (enrolment, payment, refund), as cancelling and
 * checkout do, so two of them can never wait on each other (deadlock).
 */
export async function lockEnrolmentThenPayment(
  tx: Transaction,
  paymentId: string,
): Promise<Payment | undefined> {
  const [head] = await tx
    .select({ enrolmentId: payments.enrolmentId })
    .from(payments)
    .where(eq(payments.id, paymentId));
  if (!head) return undefined;
  await tx
    .select({ id: enrolments.id })
    .from(enrolments)
    .where(eq(enrolments.id, head.enrolmentId))
    .for("update");
  return lockPayment(tx, paymentId);
}

/** Locks one payment row for the rest of the transaction. */
export async function lockPayment(tx: Transaction, id: string): Promise<Payment | undefined> {
  const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for("update");
  return row;
}
