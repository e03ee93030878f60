import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { pageRequest, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { ErrorLogPage, ErrorLogQuery } from "../schemas";
import { listErrorLogs } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/error-logs",
  operationId: "listErrorLogs",
  tags: ["Admin"],
  summary: "Server faults (filters: severity, code, time range; paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: ErrorLogQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(ErrorLogPage, "A page of error logs"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listErrorLogs(serviceContext(c), query, pageRequest(query));
    return c.json(withPageLinks(c, page), 200);
  });
}
