import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { TokenBody } from "../schemas";
import { verifyEmail } from "../service/recovery";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/email/verify",
  operationId: "verifyEmail",
  tags: ["Auth"],
  summary: "Confirm an email address with its token",
  security: [],
  request: { body: jsonBody(TokenBody) },
  responses: { ...errorResponses(), 204: { description: "Email verified" } },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await verifyEmail(serviceContext(c), c.req.valid("json").token);
    return c.body(null, 204);
  });
}
