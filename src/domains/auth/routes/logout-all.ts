import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { logoutAll } from "../service/sessions";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/logout-all",
  operationId: "logoutAll",
  tags: ["Auth"],
  summary: "End every session of the signed-in user",
  security: [{ bearerAuth: [] }],
  responses: { ...errorResponses(401), 204: { description: "Every session ended" } },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await logoutAll(serviceContext(c));
    return c.body(null, 204);
  });
}
