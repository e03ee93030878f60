import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { ReadinessSchema } from "../schemas";
import { checkReadiness } from "../service";

const PROBE_TIMEOUT_MS = 2_000;

export const route = createRoute({
  method: "get",
  path: "/health/ready",
  operationId: "getReadiness",
  tags: ["Health"],
  summary: "Readiness: Postgres, KV and the Durable Object answer",
  security: [],
  responses: {
    ...errorResponses(),
    200: jsonContent(ReadinessSchema, "Every dependency answered"),
    503: jsonContent(ReadinessSchema, "At least one dependency failed; `failed` names them"),
  },
});

export function registerGetReadiness(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const services = c.get("services");
    const result = await checkReadiness({
      db: () => services.db,
      cache: services.cache,
      rateLimiter: services.rateLimiter,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    c.header("Cache-Control", "no-store");
    if (result.status === "ok") return c.json(result, 200);
    c.header("Retry-After", "5");
    return c.json(result, 503);
  });
}
