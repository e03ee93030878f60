import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ResetPasswordBody } from "../schemas";
import { acceptInvitation } from "../service/invitation";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/accept-invitation",
  operationId: "acceptInvitation",
  tags: ["Auth"],
  summary: "Set the first password of an invited account with the invitation token",
  description:
    "The token comes from the invitation email (valid 7 days, once). Same password rules as " +
    "a reset; the email address counts as verified. Then sign in with /v1/auth/login.",
  security: [],
  request: { body: jsonBody(ResetPasswordBody) },
  responses: { ...errorResponses(), 204: { description: "Password set; sign in with it" } },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { token, password } = c.req.valid("json");
    await acceptInvitation(serviceContext(c), token, password);
    return c.body(null, 204);
  });
}
