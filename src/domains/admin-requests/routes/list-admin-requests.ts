import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { adminRequestStatuses } from "../../../db/schema";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { keysetQuery, paginatedSchema, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { AdminRequestSchema } from "../schemas";
import { listAdminRequests } from "../service";

const AdminRequestPage = paginatedSchema(AdminRequestSchema, "AdminRequestPage");

export const route = createRoute({
  method: "get",
  path: "/v1/admin/admin-requests",
  operationId: "listAdminRequests",
  tags: ["Admin requests"],
  summary: "List admin requests, optionally by status (super admin)",
  security: [{ bearerAuth: [] }],
  request: { query: keysetQuery.extend({ status: z.enum(adminRequestStatuses).optional() }) },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AdminRequestPage, "A page of admin requests"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const page = await listAdminRequests(serviceContext(c), { status, limit, cursor });
    return c.json(withPageLinks(c, page), 200);
  });
}
