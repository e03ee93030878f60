import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as getCertificateCredential from "./routes/get-certificate-credential";
import * as getCertificatePdf from "./routes/get-certificate-pdf";
import * as issueBatchCertificates from "./routes/issue-batch-certificates";
import * as issueManualCertificate from "./routes/issue-manual-certificate";
import * as listAdminCertificates from "./routes/list-admin-certificates";
import * as listMyCertificates from "./routes/list-my-certificates";
import * as revokeCertificate from "./routes/revoke-certificate";
import * as setCertificateName from "./routes/set-certificate-name";
import * as verifyCertificate from "./routes/verify-certificate";

/**
 * Certificates: issued and revoked by admins (/v1/admin/batches/* is behind the admin check
 * of the catalogue domain, registered first), listed by their students (/v1/me/*, any
 * signed-in user), and verified by anyone (public: the verify page, the credential).
 */
export function registerCertificateRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of ["/v1/admin/certificates", "/v1/admin/certificates/*"]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  for (const r of [
    verifyCertificate,
    getCertificateCredential,
    getCertificatePdf,
    listMyCertificates,
    setCertificateName,
    issueBatchCertificates,
    issueManualCertificate,
    listAdminCertificates,
    revokeCertificate,
  ]) {
    r.register(app);
  }
}
