/**
 * Issuing certificates. Eligibility: the batch is `completed`, the enrolment `active` (a full
 * refund cancels it; a refunded payment is checked too), and the student's attendance
 * (`batch_attendance`, migration 0020: union of intervals, floor %) at least the course's
 * `certificate_min_attendance_pct`. Everything a certificate says is copied in when it is
 * issued. One standing certificate per enrolment is a unique index, so running the batch
 * issue again (or twice at once) issues nothing twice.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import {
  batches,
  type Certificate,
  certificates,
  courses,
  enrolments,
  users,
} from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { newCertificateCode } from "../../../lib/certificates/code";
import { AppError, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { IssueResult } from "../schemas";
import { auditCertificate, toCertificateView } from "./views";

type Skip = IssueResult["skipped"][number];

interface Candidate {
  enrolmentId: string;
  userId: string;
  status: string;
  printedName: string;
  attendancePct: number | null;
  refunded: boolean;
  standing: boolean;
  /** A certificate of this enrolment was revoked: only a manual issue (with a reason) follows. */
  revokedBefore: boolean;
}

/** `POST /v1/admin/batches/{id}/certificates`: every eligible student of a completed batch. */
export async function issueForBatch(ctx: ServiceContext, batchId: string): Promise<IssueResult> {
  const adminId = ctx.actor.userId;
  return runAs(ctx.db, SYSTEM, async (tx) => {
    const [batch] = await tx
      .select({
        id: batches.id,
        name: batches.name,
        status: batches.status,
        startDate: batches.startDate,
        endDate: batches.endDate,
        courseId: courses.id,
        courseTitle: courses.title,
        rule: courses.certificateMinAttendancePct,
      })
      .from(batches)
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .where(eq(batches.id, batchId))
      // Serialises two issue runs of one batch (each then sees the other's certificates).
      .for("update", { of: batches });
    if (!batch) throw notFound("The batch was not found.");
    if (batch.status !== "completed") {
      throw new AppError({
        code: "CONFLICT",
        detail: `The batch is ${batch.status}: certificates are issued once it is completed.`,
        extensions: { status: batch.status },
      });
    }
    const result = await tx.execute<{
      enrolment_id: string;
      user_id: string;
      status: string;
      printed_name: string;
      percent: number | null;
      refunded: boolean;
      standing: boolean;
      revoked_before: boolean;
    }>(sql`
      SELECT e.id AS enrolment_id, e.user_id, e.status,
             coalesce(u.certificate_name, u.full_name) AS printed_name,
             a.percent,
             EXISTS (SELECT 1 FROM payments p
                      WHERE p.enrolment_id = e.id AND p.status = 'refunded') AS refunded,
             EXISTS (SELECT 1 FROM certificates c
                      WHERE c.enrolment_id = e.id AND c.revoked_at IS NULL) AS standing,
             EXISTS (SELECT 1 FROM certificates c
                      WHERE c.enrolment_id = e.id AND c.revoked_at IS NOT NULL) AS revoked_before
        FROM enrolments e
        JOIN users u ON u.id = e.user_id
        LEFT JOIN batch_attendance(${batchId}::uuid) a ON a.user_id = e.user_id
       WHERE e.batch_id = ${batchId}::uuid
       ORDER BY e.created_at, e.id`);
    const candidates: Candidate[] = result.rows.map((r) => ({
      enrolmentId: r.enrolment_id,
      userId: r.user_id,
      status: r.status,
      printedName: r.printed_name,
      attendancePct: r.percent === null ? null : Number(r.percent),
      refunded: r.refunded,
      standing: r.standing,
      revokedBefore: r.revoked_before,
    }));
    const issued: Certificate[] = [];
    const skipped: Skip[] = [];
    for (const c of candidates) {
      const skip = (reason: Skip["reason"]) =>
        skipped.push({
          userId: c.userId,
          enrolmentId: c.enrolmentId,
          reason,
          attendancePct: c.attendancePct,
        });
      if (c.standing) skip("already_issued");
      else if (c.revokedBefore) skip("previously_revoked");
      else if (c.status !== "active") skip("enrolment_not_active");
      else if (c.refunded) skip("refunded");
      else if (c.attendancePct === null) skip("no_classes_held");
      else if (c.attendancePct < batch.rule) skip("attendance_below_rule");
      else {
        const row = await insertCertificate(tx, ctx, {
          enrolmentId: c.enrolmentId,
          userId: c.userId,
          batchId: batch.id,
          courseId: batch.courseId,
          printedName: c.printedName,
          courseTitle: batch.courseTitle,
          batchName: batch.name,
          startDate: batch.startDate,
          endDate: batch.endDate,
          attendancePct: c.attendancePct,
          source: "rule",
          manualReason: null,
          issuedBy: adminId,
        });
        if (row) issued.push(row);
        else skip("already_issued");
      }
    }
    return {
      issued: issued.map((row) => toCertificateView(ctx.config, row)),
      skipped,
    };
  });
}

type NewCertificate = Omit<typeof certificates.$inferInsert, "code" | "issuerName">;

/** Inserts one certificate with a fresh code (audited), or nothing if one stands already. */
async function insertCertificate(
  tx: Transaction,
  ctx: ServiceContext,
  values: NewCertificate,
): Promise<Certificate | undefined> {
  const [row] = await tx
    .insert(certificates)
    .values({ ...values, code: newCertificateCode(), issuerName: ctx.config.CERT_ISSUER_NAME })
    .onConflictDoNothing({
      target: certificates.enrolmentId,
      where: sql`${certificates.revokedAt} is null`,
    })
    .returning();
  if (row) {
    // The name it printed becomes the student's certificate name if they had set none: later
    // certificates print the same, and a change of profile name no longer alters them.
    await tx
      .update(users)
      .set({ certificateName: row.printedName, certificateNameSetAt: sql`now()` })
      .where(and(eq(users.id, row.userId), isNull(users.certificateName)));
    await recordAudit(tx, ctx.audit, {
      action: values.source === "manual" ? "certificate.issue_manual" : "certificate.issue",
      entityType: "certificate",
      entityId: row.id,
      after: { ...auditCertificate(row), manualReason: values.manualReason ?? null },
    });
  }
  return row;
}

/**
 * `POST /v1/admin/certificates`: an admin issues one certificate outside the rule, with a
 * reason on the record (audited). The enrolment's batch and course still say what it is for;
 * attendance is recorded as it stands. 409 when one stands already.
 */
export async function issueManual(
  ctx: ServiceContext,
  input: { enrolmentId: string; reason: string },
) {
  return runAs(ctx.db, SYSTEM, async (tx) => {
    const [e] = await tx
      .select({
        enrolmentId: enrolments.id,
        userId: enrolments.userId,
        batchId: batches.id,
        batchName: batches.name,
        startDate: batches.startDate,
        endDate: batches.endDate,
        courseId: courses.id,
        courseTitle: courses.title,
        printedName: sql<string>`coalesce(${users.certificateName}, ${users.fullName})`,
      })
      .from(enrolments)
      .innerJoin(users, eq(users.id, enrolments.userId))
      .innerJoin(batches, eq(batches.id, enrolments.batchId))
      .innerJoin(courses, eq(courses.id, batches.courseId))
      .where(eq(enrolments.id, input.enrolmentId))
      .for("update", { of: enrolments });
    if (!e) throw notFound("The enrolment was not found.");
    const [attendance] = await tx
      .execute<{ percent: number | null }>(
        sql`SELECT percent FROM batch_attendance(${e.batchId}::uuid) WHERE user_id = ${e.userId}::uuid`,
      )
      .then((r) => r.rows);
    const row = await insertCertificate(tx, ctx, {
      ...e,
      attendancePct:
        attendance?.percent === undefined || attendance.percent === null
          ? null
          : Number(attendance.percent),
      source: "manual",
      manualReason: input.reason,
      issuedBy: ctx.actor.userId,
    });
    if (!row) {
      throw new AppError({
        code: "CONFLICT",
        detail: "This enrolment already has a certificate. Revoke it first to issue another.",
      });
    }
    return toCertificateView(ctx.config, row);
  });
}
