import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { AdminCertificatesQuery, CertificatePage } from "../schemas";
import { listAdminCertificates } from "../service/lists";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/certificates",
  operationId: "listAdminCertificates",
  tags: ["Certificates"],
  summary: "Certificates, newest first, by batch, status, or a name, email or code (admins)",
  security: [{ bearerAuth: [] }],
  request: { query: AdminCertificatesQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(CertificatePage, "A page of certificates"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listAdminCertificates(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
