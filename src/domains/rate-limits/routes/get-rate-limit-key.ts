import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { KeyParams, KeyStateSchema } from "../schemas";
import { rateLimitState } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/rate-limits/{policy}/{identity}",
  operationId: "getRateLimitKey",
  tags: ["Rate limits"],
  summary: "A key's current counters and override",
  security: [{ bearerAuth: [] }],
  request: { params: KeyParams },
  responses: { ...errorResponses(401, 403), 200: jsonContent(KeyStateSchema, "The key's state") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { policy, identity } = c.req.valid("param");
    const state = await rateLimitState({
      namespace: c.get("services").rateLimiter,
      policies: c.env.RATE_LIMIT_POLICIES,
      policy,
      identity,
    });
    // Spread to plain objects: the OpenAPI schema describes them as open records.
    return c.json(
      {
        ...state,
        limits: state.limits.map((l) => ({ ...l })),
        override: state.override ? { ...state.override } : null,
      },
      200,
    );
  });
}
