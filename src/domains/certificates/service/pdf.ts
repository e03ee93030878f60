import { eq } from "drizzle-orm";
import { certificates } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { formatCertificateCode } from "../../../lib/certificates/code";
import type { CertificateAssets } from "../../../lib/certificates/pdf";
import { notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { codeOrThrow, revocationOf } from "./verify";
import { verifyUrlOf } from "./views";

/** PDFs are kept a day per code, version and revocation state (a revoked one differs). */
const PDF_TTL_SECONDS = 24 * 3600;

/**
 * `GET /v1/certificates/{code}.pdf`: the one-page certificate. The row (with its version) is
 * read on every request and the revocation authority asked, so the bytes served are those of
 * the certificate's current state; rendering (fonts, shaping, QR) is loaded only here
 * (`renderCertificatePdf` imports the renderer on first use) and its bytes are kept in KV.
 */
export async function certificatePdf(
  ctx: ServiceContext,
  input: string,
  deps: { kv: KVNamespace; assets: CertificateAssets },
): Promise<{ pdf: Uint8Array; code: string }> {
  const code = codeOrThrow(input);
  const [[row], authority] = await Promise.all([
    runAs(ctx.http, SYSTEM, (q) =>
      q.select().from(certificates).where(eq(certificates.code, code)).limit(1),
    ),
    revocationOf(ctx, code),
  ]);
  if (!row) throw notFound("No certificate has this code.");
  const revoked = authority
    ? { at: new Date(authority.revokedAt), reasonCategory: authority.reasonCategory }
    : row.revokedAt && row.revocationReason
      ? { at: row.revokedAt, reasonCategory: row.revocationReason }
      : null;
  const display = formatCertificateCode(code);
  const key = `certificate-pdf:v1:${code}:${row.version}:${revoked ? "revoked" : "valid"}`;
  const cached = await deps.kv.get(key, "arrayBuffer").catch(() => null);
  if (cached) return { pdf: new Uint8Array(cached), code: display };
  const { renderCertificatePdf } = await import("../../../lib/certificates/pdf");
  const pdf = await renderCertificatePdf(
    {
      name: row.printedName,
      course: row.courseTitle,
      batchName: row.batchName,
      startDate: row.startDate,
      endDate: row.endDate,
      issuedAt: row.issuedAt,
      code: display,
      verifyUrl: verifyUrlOf(ctx.config, code),
      issuerName: row.issuerName,
      attendancePct: row.attendancePct ?? 0,
      revoked,
    },
    deps.assets,
  );
  ctx.waitUntil(deps.kv.put(key, pdf, { expirationTtl: PDF_TTL_SECONDS }));
  return { pdf, code: display };
}
