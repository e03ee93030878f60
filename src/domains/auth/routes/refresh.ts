import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { RefreshBody, TokenPairSchema } from "../schemas";
import { refreshSession } from "../service/sessions";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  operationId: "refresh",
  tags: ["Auth"],
  summary: "Rotate a refresh token for a new token pair",
  security: [],
  request: { body: jsonBody(RefreshBody) },
  responses: {
    ...errorResponses(401),
    200: jsonContent(TokenPairSchema, "A new token pair; the old refresh token is spent"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { refreshToken } = c.req.valid("json");
    return c.json(await refreshSession(serviceContext(c), refreshToken), 200);
  });
}
