import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminRequestIdParams, AdminRequestSchema, RejectAdminRequestBody } from "../schemas";
import { decideAdminRequest } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/admin-requests/{id}/reject",
  operationId: "rejectAdminRequest",
  tags: ["Admin requests"],
  summary: "Reject a verified admin request with a reason (super admin)",
  security: [{ bearerAuth: [] }],
  request: { params: AdminRequestIdParams, body: jsonBody(RejectAdminRequestBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(AdminRequestSchema, "Rejected; the requester is notified"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    return c.json(
      await decideAdminRequest(serviceContext(c), { id, decision: "reject", reason }),
      200,
    );
  });
}
