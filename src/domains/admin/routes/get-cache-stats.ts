import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { CacheStatsSchema } from "../schemas";
import { cacheStats } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/cache/stats",
  operationId: "getCacheStats",
  tags: ["Admin"],
  summary:
    "Cache hits, misses and stale serves: this isolate's, and summed over the isolates' reports",
  security: [{ bearerAuth: [] }],
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(CacheStatsSchema, "The counters"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await cacheStats(c.get("services").cache), 200);
  });
}
