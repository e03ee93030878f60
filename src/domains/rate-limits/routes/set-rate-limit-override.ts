import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { KeyParams, OverrideBody, OverrideResultSchema } from "../schemas";
import { overrideRateLimit } from "../service";

export const route = createRoute({
  method: "put",
  path: "/v1/admin/rate-limits/{policy}/{identity}/override",
  operationId: "setRateLimitOverride",
  tags: ["Rate limits"],
  summary: "Raise, lower or block an identity's limit until a time, or clear it (audited)",
  security: [{ bearerAuth: [] }],
  request: { params: KeyParams, body: jsonBody(OverrideBody) },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(OverrideResultSchema, "The override now in force"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { policy, identity } = c.req.valid("param");
    const body = c.req.valid("json");
    const input =
      body.action === "block"
        ? { action: "block" as const, until: Date.parse(body.until) }
        : body.action === "clear"
          ? { action: "clear" as const }
          : {
              action: body.action,
              limit: body.limit,
              expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : undefined,
            };
    const result = await overrideRateLimit(
      serviceContext(c),
      {
        namespace: c.get("services").rateLimiter,
        policies: c.env.RATE_LIMIT_POLICIES,
        policy,
        identity,
      },
      input,
    );
    return c.json({ ...result, override: result.override ? { ...result.override } : null }, 200);
  });
}
