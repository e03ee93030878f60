import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { CertificatePage, MyCertificatesQuery } from "../schemas";
import { listMyCertificates } from "../service/lists";

export const route = createRoute({
  method: "get",
  path: "/v1/me/certificates",
  operationId: "listMyCertificates",
  tags: ["Certificates"],
  summary: "Your certificates, newest first (paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: MyCertificatesQuery },
  responses: {
    ...errorResponses(401),
    200: jsonContent(CertificatePage, "A page of your certificates"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMyCertificates(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
