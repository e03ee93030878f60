import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { pageRequest, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { UserListQuery, UserPage } from "../schemas";
import { listUsers } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/users",
  operationId: "listUsers",
  tags: ["Admin"],
  summary: "List users (filter by role, status, text; paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: UserListQuery },
  responses: { ...errorResponses(401, 403), 200: jsonContent(UserPage, "A page of users") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listUsers(serviceContext(c), { ...query, page: pageRequest(query) });
    return c.json(withPageLinks(c, page), 200);
  });
}
