import { z } from "@hono/zod-openapi";
import { revocationReasons } from "../../db/schema";
import { keysetQuery, paginatedSchema } from "../../lib/pagination";
import { filterText, text } from "../../lib/validation";

const idParam = () => z.uuid().openapi({ param: { name: "id", in: "path" } });
export const BatchIdParams = z.object({ id: idParam() });
export const CertificateIdParams = z.object({ id: idParam() });
export const CodeParams = z.object({
  code: z
    .string()
    .max(64)
    .openapi({ param: { name: "code", in: "path" }, example: "7KQ4-M2XD-9RTB-HF3QW-ZP8NA-C6VJ0" }),
});

export const IssueManualBody = z
  .strictObject({
    enrolmentId: z.uuid(),
    reason: text({ min: 3, max: 500 }).openapi({ description: "Why outside the rule (audited)" }),
  })
  .openapi("ManualCertificateRequest");

export const RevokeBody = z
  .strictObject({
    reasonCategory: z.enum(revocationReasons),
    note: text({ min: 3, max: 500 }),
  })
  .openapi("RevokeCertificateRequest");

export const CertificateNameBody = z
  .strictObject({
    name: text({ min: 2, max: 120 })
      // Control and format characters (bidi overrides, zero-width spaces) could make a printed
      // or verified name read as someone else's; ZWJ and ZWNJ shape Indic scripts and stay.
      .refine(
        (name) => !/[\p{Cc}\p{Cf}]/u.test(name.replace(/[\u200C\u200D]/g, "")),
        "Control and formatting characters (such as direction overrides) are not allowed",
      )
      .openapi({
        description:
          "Your name as certificates should print it (Latin, Devanagari or Tamil script); once only",
      }),
  })
  .openapi("CertificateNameRequest");

export const CertificateSchema = z
  .object({
    id: z.string(),
    code: z.string().openapi({ description: "Display form, grouped for reading aloud" }),
    status: z.enum(["valid", "revoked"]),
    userId: z.string(),
    enrolmentId: z.string(),
    batchId: z.string(),
    name: z.string(),
    course: z.string(),
    batch: z.string(),
    startDate: z.string(),
    endDate: z.string(),
    attendancePct: z.number().int().nullable(),
    issuer: z.string(),
    source: z.enum(["rule", "manual"]),
    issuedAt: z.string(),
    revokedAt: z.string().nullable(),
    revocationReason: z.enum(revocationReasons).nullable(),
    verifyUrl: z.string(),
    pdfUrl: z.string(),
    credentialUrl: z.string(),
  })
  .openapi("Certificate");
export type CertificateView = z.infer<typeof CertificateSchema>;

export const IssueResultSchema = z
  .object({
    issued: z.array(CertificateSchema),
    skipped: z.array(
      z.object({
        userId: z.string(),
        enrolmentId: z.string(),
        reason: z.enum([
          "already_issued",
          "previously_revoked",
          "enrolment_not_active",
          "refunded",
          "attendance_below_rule",
          "no_classes_held",
        ]),
        attendancePct: z.number().int().nullable(),
      }),
    ),
  })
  .openapi("CertificateIssueResult");
export type IssueResult = z.infer<typeof IssueResultSchema>;

export const VerificationSchema = z
  .object({
    status: z.enum(["valid", "revoked", "unknown"]),
    code: z.string(),
    certificate: z
      .object({
        name: z.string(),
        course: z.string(),
        batch: z.string(),
        startDate: z.string(),
        endDate: z.string(),
        issuedAt: z.string(),
        issuer: z.string(),
      })
      .nullable(),
    revocation: z.object({ revokedAt: z.string(), reasonCategory: z.string() }).nullable(),
  })
  .openapi("CertificateVerification");
export type Verification = z.infer<typeof VerificationSchema>;

export const MyCertificatesQuery = keysetQuery;
export const AdminCertificatesQuery = keysetQuery.extend({
  batchId: z.uuid().optional(),
  status: z.enum(["valid", "revoked"]).optional(),
  q: filterText(200).optional().openapi({ description: "Name, email or code" }),
});
export const CertificatePage = paginatedSchema(CertificateSchema, "CertificatePage");
