import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { LivenessSchema } from "../schemas";

export const route = createRoute({
  method: "get",
  path: "/health",
  operationId: "getLiveness",
  tags: ["Health"],
  summary: "Liveness: the Worker answers (no dependencies checked)",
  security: [],
  responses: {
    200: jsonContent(LivenessSchema, "The Worker is running"),
    ...errorResponses(),
  },
});

export function registerGetLiveness(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, (c) => c.json({ status: "ok" as const, time: new Date().toISOString() }, 200));
}
