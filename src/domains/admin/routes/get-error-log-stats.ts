import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ErrorLogStatsQuery, ErrorLogStatsSchema } from "../schemas";
import { errorLogStats } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/error-logs/stats",
  operationId: "getErrorLogStats",
  tags: ["Admin"],
  summary: "Error counts by code and severity over a window",
  security: [{ bearerAuth: [] }],
  request: { query: ErrorLogStatsQuery },
  responses: { ...errorResponses(401, 403), 200: jsonContent(ErrorLogStatsSchema, "Counts") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await errorLogStats(serviceContext(c), c.req.valid("query")), 200);
  });
}
