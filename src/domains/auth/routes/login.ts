import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { LoginBody, TokenPairSchema } from "../schemas";
import { login } from "../service/account";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/login",
  operationId: "login",
  tags: ["Auth"],
  summary: "Sign in with email and password",
  security: [],
  request: { body: jsonBody(LoginBody) },
  responses: {
    ...errorResponses(401),
    200: jsonContent(TokenPairSchema, "A new session's token pair"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await login(serviceContext(c), c.req.valid("json")), 200);
  });
}
