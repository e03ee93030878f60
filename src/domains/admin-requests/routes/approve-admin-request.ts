import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminRequestIdParams, AdminRequestSchema } from "../schemas";
import { decideAdminRequest } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/admin-requests/{id}/approve",
  operationId: "approveAdminRequest",
  tags: ["Admin requests"],
  summary: "Approve a verified admin request (super admin)",
  security: [{ bearerAuth: [] }],
  request: { params: AdminRequestIdParams },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(AdminRequestSchema, "Approved; the requester is now an admin"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await decideAdminRequest(serviceContext(c), { id, decision: "approve" }), 200);
  });
}
