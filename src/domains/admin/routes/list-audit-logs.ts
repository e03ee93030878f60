import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { pageRequest, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { AuditLogPage, AuditLogQuery } from "../schemas";
import { listAuditLogs } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/audit-logs",
  operationId: "listAuditLogs",
  tags: ["Admin"],
  summary: "Audit log (filters: email, actor, action, entity, time range; paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: AuditLogQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AuditLogPage, "A page of audit rows"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listAuditLogs(serviceContext(c), query, pageRequest(query));
    return c.json(withPageLinks(c, page), 200);
  });
}
