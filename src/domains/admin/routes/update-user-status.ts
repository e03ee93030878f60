import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { UserSchema } from "../../auth/schemas";
import { UpdateUserStatusBody, UserIdParams } from "../schemas";
import { setUserStatus } from "../service";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/users/{id}",
  operationId: "updateUserStatus",
  tags: ["Admin"],
  summary: "Disable or enable a user (audited)",
  security: [{ bearerAuth: [] }],
  request: { params: UserIdParams, body: jsonBody(UpdateUserStatusBody) },
  responses: { ...errorResponses(401, 403, 404), 200: jsonContent(UserSchema, "The updated user") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await setUserStatus(serviceContext(c), id, c.req.valid("json").status), 200);
  });
}
