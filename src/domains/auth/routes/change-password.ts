import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ChangePasswordBody } from "../schemas";
import { changePassword } from "../service/account";

export const route = createRoute({
  method: "post",
  path: "/v1/me/password",
  operationId: "changePassword",
  tags: ["Me"],
  summary: "Change your password (ends your other sessions)",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(ChangePasswordBody) },
  responses: {
    ...errorResponses(401),
    204: {
      description: "Changed; other sessions ended. Refresh this session for a new access token.",
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await changePassword(serviceContext(c), c.req.valid("json"));
    return c.body(null, 204);
  });
}
