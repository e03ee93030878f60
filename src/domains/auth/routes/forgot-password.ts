import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AcceptedSchema, ForgotPasswordBody } from "../schemas";
import { forgotPassword } from "../service/recovery";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/password/forgot",
  operationId: "forgotPassword",
  tags: ["Auth"],
  summary: "Email a password reset link (always 202)",
  security: [],
  request: { body: jsonBody(ForgotPasswordBody) },
  responses: {
    ...errorResponses(),
    202: jsonContent(AcceptedSchema, "Accepted, whether or not the account exists"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await forgotPassword(serviceContext(c), c.req.valid("json").email);
    return c.json({ status: "accepted" as const }, 202);
  });
}
