import type { Certificate } from "../../../db/schema";
import type { AppConfig } from "../../../env";
import { formatCertificateCode } from "../../../lib/certificates/code";
import type { CertificateView } from "../schemas";

/** The public verify page of a code: what the QR code on the paper certificate encodes. */
export function verifyUrlOf(config: AppConfig, code: string): string {
  const base = config.PUBLIC_VERIFY_BASE_URL.replace(/\/+$/, "");
  return `${base}/v1/certificates/verify/${formatCertificateCode(code)}`;
}

export function toCertificateView(config: AppConfig, c: Certificate): CertificateView {
  const display = formatCertificateCode(c.code);
  return {
    id: c.id,
    code: display,
    status: c.revokedAt ? "revoked" : "valid",
    userId: c.userId,
    enrolmentId: c.enrolmentId,
    batchId: c.batchId,
    name: c.printedName,
    course: c.courseTitle,
    batch: c.batchName,
    startDate: c.startDate,
    endDate: c.endDate,
    attendancePct: c.attendancePct,
    issuer: c.issuerName,
    source: c.source,
    issuedAt: c.issuedAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    revocationReason: c.revocationReason,
    verifyUrl: verifyUrlOf(config, c.code),
    pdfUrl: `/v1/certificates/${display}.pdf`,
    credentialUrl: `/v1/certificates/${display}/credential`,
  };
}

export function auditCertificate(c: Certificate): Record<string, unknown> {
  return {
    code: c.code,
    enrolmentId: c.enrolmentId,
    userId: c.userId,
    printedName: c.printedName,
    source: c.source,
    attendancePct: c.attendancePct,
    revokedAt: c.revokedAt,
    revocationReason: c.revocationReason,
    version: c.version,
  };
}
