import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AuditVerifySchema } from "../schemas";
import { verifyAuditLog } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/audit-logs/verify",
  tags: ["Admin"],
  summary: "Verify the audit log's hashes and checkpoint chain",
  security: [{ bearerAuth: [] }],
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AuditVerifySchema, "The verdict and the first bad row, if any"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await verifyAuditLog(serviceContext(c)), 200);
  });
}
