import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ResetPasswordBody } from "../schemas";
import { resetPassword } from "../service/recovery";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/password/reset",
  operationId: "resetPassword",
  tags: ["Auth"],
  summary: "Set a new password with a reset token",
  security: [],
  request: { body: jsonBody(ResetPasswordBody) },
  responses: { ...errorResponses(), 204: { description: "Password changed; every session ended" } },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { token, password } = c.req.valid("json");
    await resetPassword(serviceContext(c), token, password);
    return c.body(null, 204);
  });
}
