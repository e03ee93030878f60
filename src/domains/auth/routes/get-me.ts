import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { UserSchema } from "../schemas";
import { getMe } from "../service/account";

export const route = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["Me"],
  summary: "The signed-in user",
  security: [{ bearerAuth: [] }],
  responses: { ...errorResponses(401), 200: jsonContent(UserSchema, "The signed-in user") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(getMe(c.get("principal")), 200);
  });
}
