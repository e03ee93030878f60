import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { SignupBody, SignupResponse } from "../schemas";
import { signup } from "../service/account";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/signup",
  operationId: "signup",
  tags: ["Auth"],
  summary: "Create a student account and sign in",
  security: [],
  request: { body: jsonBody(SignupBody) },
  responses: {
    ...errorResponses(409),
    201: jsonContent(SignupResponse, "The new user and a token pair"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const result = await signup(serviceContext(c), c.req.valid("json"));
    return c.json(result, 201);
  });
}
