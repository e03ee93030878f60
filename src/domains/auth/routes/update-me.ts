import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { UpdateProfileBody, UserSchema } from "../schemas";
import { updateMe } from "../service/account";

export const route = createRoute({
  method: "patch",
  path: "/v1/me",
  operationId: "updateMe",
  tags: ["Me"],
  summary: "Change your name or phone",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(UpdateProfileBody) },
  responses: { ...errorResponses(401), 200: jsonContent(UserSchema, "The updated user") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await updateMe(serviceContext(c), c.req.valid("json")), 200);
  });
}
