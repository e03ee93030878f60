import { eq } from "drizzle-orm";
import { certificates, users } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { formatCertificateCode } from "../../../lib/certificates/code";
import { signCertificateCredential } from "../../../lib/certificates/credential";
import { signingKey, subjectSaltFor } from "../../../lib/certificates/keys";
import { AppError, notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { codeOrThrow, revocationOf } from "./verify";
import { verifyUrlOf } from "./views";

/**
 * `GET /v1/certificates/{code}/credential`: the certificate as an Open Badges 3.0 VC-JWT
 * (Ed25519, `kid` in /.well-known/jwks.json), for checking offline. The learner appears as a
 * salted hash of their email only. A revoked certificate's credential is no longer handed out
 * (410); one already downloaded still verifies offline, which is why employers are pointed at
 * the verify page for the current status.
 */
export async function certificateCredential(ctx: ServiceContext, input: string): Promise<string> {
  const code = codeOrThrow(input);
  const [[row], revoked] = await Promise.all([
    runAs(ctx.http, SYSTEM, (q) =>
      q
        .select({ certificate: certificates, email: users.email })
        .from(certificates)
        .innerJoin(users, eq(users.id, certificates.userId))
        .where(eq(certificates.code, code))
        .limit(1),
    ),
    revocationOf(ctx, code),
  ]);
  if (!row) throw notFound("No certificate has this code.");
  const c = row.certificate;
  if (revoked || c.revokedAt) {
    throw new AppError({
      code: "CERTIFICATE_REVOKED",
      detail: "This certificate was revoked: see its verify page.",
    });
  }
  const key = await signingKey(ctx.config);
  const credentialId = `urn:uuid:${c.id}`;
  return signCertificateCredential({
    key: key.key,
    kid: key.kid,
    issuer: {
      id: ctx.config.CERT_ISSUER_ID,
      name: c.issuerName,
      url: ctx.config.PUBLIC_VERIFY_BASE_URL,
    },
    credentialId,
    code: formatCertificateCode(code),
    verifyUrl: verifyUrlOf(ctx.config, code),
    name: c.printedName,
    course: c.courseTitle,
    batchName: c.batchName,
    startDate: c.startDate,
    endDate: c.endDate,
    issuedAt: c.issuedAt,
    attendancePct: c.attendancePct ?? 0,
    subjectEmail: row.email,
    subjectSalt: await subjectSaltFor(ctx.config, credentialId),
  });
}
