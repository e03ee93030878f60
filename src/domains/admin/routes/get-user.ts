import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { UserSchema } from "../../auth/schemas";
import { UserIdParams } from "../schemas";
import { getUser } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/users/{id}",
  operationId: "getUser",
  tags: ["Admin"],
  summary: "One user",
  security: [{ bearerAuth: [] }],
  request: { params: UserIdParams },
  responses: { ...errorResponses(401, 403, 404), 200: jsonContent(UserSchema, "The user") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getUser(serviceContext(c), c.req.valid("param").id), 200);
  });
}
