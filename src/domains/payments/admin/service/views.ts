import { eq } from "drizzle-orm";
import type { SelectedFields } from "drizzle-orm/pg-core";
import { batches, courses, enrolments, payments, users } from "../../../../db/schema";
import type { Reader } from "../../../../db/transaction";
import type { AdminPayment } from "../schemas";

/** What a payment's admin view selects (its student, enrolment, batch and course joined). */
export const paymentViewColumns = {
  id: payments.id,
  status: payments.status,
  amountPaise: payments.amountPaise,
  refundedPaise: payments.refundedPaise,
  currency: payments.currency,
  provider: payments.provider,
  providerRequestId: payments.providerRequestId,
  providerPaymentId: payments.providerPaymentId,
  reviewReason: payments.reviewReason,
  createdAt: payments.createdAt,
  paidAt: payments.paidAt,
  student: { id: users.id, email: users.email, fullName: users.fullName },
  enrolment: { id: enrolments.id, batchId: enrolments.batchId },
  batch: { id: batches.id, name: batches.name, startDate: batches.startDate },
  course: { id: courses.id, slug: courses.slug, title: courses.title },
};

/**
 * Payments with their student and enrolment; batch and course left-joined, so a payment never
 * drops out of a list because a catalogue row is hidden from the reader.
 */
export function selectPayments<Extra extends SelectedFields>(q: Reader, extra: Extra) {
  return q
    .select({ ...paymentViewColumns, ...extra })
    .from(payments)
    .innerJoin(users, eq(users.id, payments.userId))
    .innerJoin(enrolments, eq(enrolments.id, payments.enrolmentId))
    .leftJoin(batches, eq(batches.id, enrolments.batchId))
    .leftJoin(courses, eq(courses.id, batches.courseId));
}

/** A row of `selectPayments`: the wire view with the timestamps still dates. */
type PaymentViewRow = Omit<AdminPayment, "createdAt" | "paidAt"> & {
  createdAt: Date;
  paidAt: Date | null;
};

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toAdminPayment(r: PaymentViewRow): AdminPayment {
  return {
    id: r.id,
    status: r.status,
    amountPaise: r.amountPaise,
    refundedPaise: r.refundedPaise,
    currency: r.currency,
    provider: r.provider,
    providerRequestId: r.providerRequestId,
    providerPaymentId: r.providerPaymentId,
    reviewReason: r.reviewReason,
    createdAt: r.createdAt.toISOString(),
    paidAt: iso(r.paidAt),
    student: r.student,
    enrolment: r.enrolment,
    batch: r.batch,
    course: r.course,
  };
}
