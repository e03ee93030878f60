import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { KeyParams } from "../schemas";
import { resetRateLimit } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/rate-limits/{policy}/{identity}/reset",
  operationId: "resetRateLimitKey",
  tags: ["Rate limits"],
  summary: "Reset a key's counters (audited)",
  security: [{ bearerAuth: [] }],
  request: { params: KeyParams },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(z.object({ deleted: z.number().int() }), "Counters removed"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { policy, identity } = c.req.valid("param");
    const result = await resetRateLimit(serviceContext(c), {
      namespace: c.get("services").rateLimiter,
      policies: c.env.RATE_LIMIT_POLICIES,
      policy,
      identity,
    });
    return c.json(result, 200);
  });
}
