import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { TopQuery, TopSchema } from "../schemas";
import { topRateLimited } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/rate-limits/top",
  operationId: "getTopLimited",
  tags: ["Rate limits"],
  summary: "The most limited keys over a window (from aggregated counters)",
  security: [{ bearerAuth: [] }],
  request: { query: TopQuery },
  responses: { ...errorResponses(401, 403), 200: jsonContent(TopSchema, "Most denied first") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) =>
    c.json(await topRateLimited(serviceContext(c), c.req.valid("query")), 200),
  );
}
