import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { VerifyAdminRequestBody } from "../schemas";
import { verifyAdminRequest } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin-requests/verify",
  operationId: "verifyAdminRequest",
  tags: ["Admin requests"],
  summary: "Verify an admin request with the emailed token",
  security: [],
  request: { body: jsonBody(VerifyAdminRequestBody) },
  responses: {
    ...errorResponses(409),
    204: { description: "Verified; a super admin can decide it" },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await verifyAdminRequest(serviceContext(c), c.req.valid("json").token);
    return c.body(null, 204);
  });
}
