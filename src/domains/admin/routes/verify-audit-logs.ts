import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AuditVerifyQuery, AuditVerifySchema } from "../schemas";
import { verifyAuditLog } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/audit-logs/verify",
  operationId: "verifyAuditLogs",
  tags: ["Admin"],
  summary:
    "Verify the audit log's hashes and checkpoint chain against the anchors kept outside the database",
  security: [{ bearerAuth: [] }],
  request: { query: AuditVerifyQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AuditVerifySchema, "The verdict and the first bad row, if any"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { full } = c.req.valid("query");
    const verdict = await verifyAuditLog(serviceContext(c), c.get("services").cache, {
      full: full === "true",
    });
    return c.json(verdict, 200);
  });
}
