/**
 * `GET /v1/certificates/verify/{code}`: what an employer may learn of a certificate, and
 * nothing else about the student.
 *
 * Exact revocation in spite of the cache: the facts (which never change once issued) come from
 * the KV cache layer; whether the certificate is revoked comes, on EVERY request, from the
 * revocation authority (a Durable Object, strongly consistent), which a revocation writes
 * before the database commits. Unknown codes are never cached (nothing to store, and a code
 * issued a moment later must verify at once).
 */
import { eq } from "drizzle-orm";
import { certificates } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { certificateStatusStub } from "../../../durable-objects/certificate-status";
import type { CacheOutcome } from "../../../lib/cache";
import { formatCertificateCode, parseCertificateCode } from "../../../lib/certificates/code";
import { AppError, dependencyUnavailable } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { type CertificateFacts, certificateFactsCache } from "../cache";
import type { Verification } from "../schemas";

/** The canonical code of what was typed, or the 400 that says why not (mistyped vs malformed). */
export function codeOrThrow(input: string): string {
  const parsed = parseCertificateCode(input);
  if (parsed.ok) return parsed.code;
  throw new AppError({
    code: "VALIDATION_FAILED",
    detail:
      parsed.reason === "check_failed"
        ? "This code is mistyped: its check character does not match. Check each character."
        : "This is not a certificate code (27 characters of 0-9 and A-Z, without I, L, O, U).",
    errors: [{ path: "code", message: parsed.reason }],
    extensions: { reason: parsed.reason === "check_failed" ? "mistyped" : "malformed" },
  });
}

/**
 * Asks the revocation authority about a code. It failing is a 503 (retry), never a guess:
 * the public pages fail closed rather than call a possibly revoked certificate valid.
 */
export async function revocationOf(ctx: ServiceContext, code: string) {
  try {
    return await certificateStatusStub(ctx.certificateStatus, code).status(code);
  } catch (err) {
    throw dependencyUnavailable("certificate status", err);
  }
}

export async function loadFacts(
  ctx: ServiceContext,
  code: string,
): Promise<CertificateFacts | null> {
  const [row] = await runAs(ctx.http, SYSTEM, (q) =>
    q.select().from(certificates).where(eq(certificates.code, code)).limit(1),
  );
  if (!row) return null;
  return {
    code,
    name: row.printedName,
    course: row.courseTitle,
    batch: row.batchName,
    startDate: row.startDate,
    endDate: row.endDate,
    issuedAt: row.issuedAt.toISOString(),
    issuer: row.issuerName,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    reasonCategory: row.revocationReason,
  };
}

export async function verifyCertificate(
  ctx: ServiceContext,
  input: string,
): Promise<{ verification: Verification; cache: CacheOutcome }> {
  const code = codeOrThrow(input);
  const [read, revoked] = await Promise.all([
    ctx.cache.read(certificateFactsCache, { code }, () => loadFacts(ctx, code), {
      store: (facts) => facts !== null,
    }),
    revocationOf(ctx, code),
  ]);
  const facts = read.value;
  const display = formatCertificateCode(code);
  if (!facts) {
    return {
      verification: { status: "unknown", code: display, certificate: null, revocation: null },
      cache: read.outcome,
    };
  }
  const revocation = revoked
    ? { revokedAt: revoked.revokedAt, reasonCategory: revoked.reasonCategory }
    : facts.revokedAt && facts.reasonCategory
      ? { revokedAt: facts.revokedAt, reasonCategory: facts.reasonCategory }
      : null;
  return {
    verification: {
      status: revocation ? "revoked" : "valid",
      code: display,
      certificate: {
        name: facts.name,
        course: facts.course,
        batch: facts.batch,
        startDate: facts.startDate,
        endDate: facts.endDate,
        issuedAt: facts.issuedAt,
        issuer: facts.issuer,
      },
      revocation,
    },
    cache: read.outcome,
  };
}
