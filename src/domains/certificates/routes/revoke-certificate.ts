import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CertificateIdParams, CertificateSchema, RevokeBody } from "../schemas";
import { revokeCertificate } from "../service/revoke";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/certificates/{id}/revoke",
  operationId: "revokeCertificate",
  tags: ["Certificates"],
  summary: "Revoke a certificate: final, effective on the very next verify (admins, audited)",
  security: [{ bearerAuth: [] }],
  request: { params: CertificateIdParams, body: jsonBody(RevokeBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(CertificateSchema, "The certificate, revoked"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ctx = serviceContext(c);
    return c.json(await revokeCertificate(ctx, c.req.valid("param").id, c.req.valid("json")), 200);
  });
}
