import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CertificateSchema, IssueManualBody } from "../schemas";
import { issueManual } from "../service/issue";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/certificates",
  operationId: "issueManualCertificate",
  tags: ["Certificates"],
  summary: "Issue one certificate outside the rule, with a reason (admins, audited)",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(IssueManualBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    201: jsonContent(CertificateSchema, "The certificate"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await issueManual(serviceContext(c), c.req.valid("json")), 201);
  });
}
