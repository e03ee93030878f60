import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { RefreshBody } from "../schemas";
import { logout } from "../service/sessions";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  operationId: "logout",
  tags: ["Auth"],
  summary: "End the session of a refresh token",
  security: [],
  request: { body: jsonBody(RefreshBody) },
  responses: { ...errorResponses(), 204: { description: "Signed out (also for unknown tokens)" } },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await logout(serviceContext(c), c.req.valid("json").refreshToken);
    return c.body(null, 204);
  });
}
