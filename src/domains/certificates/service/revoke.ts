import { eq, sql } from "drizzle-orm";
import { certificates } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { certificateStatusStub } from "../../../durable-objects/certificate-status";
import { recordAudit } from "../../../lib/audit";
import { AppError, dependencyUnavailable, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { CertificateView } from "../schemas";
import { auditCertificate, toCertificateView } from "./views";

/**
 * `POST /v1/admin/certificates/{id}/revoke`: final (a mistake is fixed by issuing a new
 * certificate). Under the row's lock: the revocation authority first (so the very next verify
 * says revoked wherever it is served), then the row, its version bumped (cached PDFs are keyed
 * by it) and audited. If the database fails after the authority was told, the certificate reads
 * revoked already, and the admin's retry completes the record.
 */
export async function revokeCertificate(
  ctx: ServiceContext,
  id: string,
  input: {
    reasonCategory: (typeof certificates.$inferSelect)["revocationReason"] & string;
    note: string;
  },
): Promise<CertificateView> {
  const adminId = ctx.actor.userId;
  if (!adminId) throw new Error("revoking needs a signed-in admin");
  const row = await runAs(ctx.db, SYSTEM, async (tx) => {
    const [before] = await tx
      .select()
      .from(certificates)
      .where(eq(certificates.id, id))
      .for("update");
    if (!before) throw notFound("The certificate was not found.");
    if (before.revokedAt) {
      throw new AppError({
        code: "CONFLICT",
        detail: "The certificate is already revoked. Revocation is final: issue a new one.",
      });
    }
    const [now] = await tx.execute<{ now: Date }>(sql`select now() as now`).then((r) => r.rows);
    const revokedAt = new Date(now?.now ?? Date.now());
    // The record in effect: a retry after the database failed once finds the first one there,
    // and the row takes its time and reason, so the public page and the record agree.
    let recorded: { revokedAt: string; reasonCategory: string };
    try {
      recorded = await certificateStatusStub(ctx.certificateStatus, before.code).revoke(
        before.code,
        { revokedAt: revokedAt.toISOString(), reasonCategory: input.reasonCategory },
      );
    } catch (err) {
      throw dependencyUnavailable("certificate status", err);
    }
    const [after] = await tx
      .update(certificates)
      .set({
        revokedAt: new Date(recorded.revokedAt),
        revokedBy: adminId,
        revocationReason: recorded.reasonCategory as typeof input.reasonCategory,
        revocationNote: input.note,
        version: before.version + 1,
      })
      .where(eq(certificates.id, id))
      .returning();
    if (!after) throw notFound("The certificate was not found.");
    await recordAudit(tx, ctx.audit, {
      action: "certificate.revoke",
      entityType: "certificate",
      entityId: id,
      before: auditCertificate(before),
      after: { ...auditCertificate(after), note: input.note },
    });
    return after;
  });
  return toCertificateView(ctx.config, row);
}
