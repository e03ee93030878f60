import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, IssueResultSchema } from "../schemas";
import { issueForBatch } from "../service/issue";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/batches/{id}/certificates",
  operationId: "issueBatchCertificates",
  tags: ["Certificates"],
  summary: "Issue certificates to every eligible student of a completed batch (admins)",
  description:
    "Eligible: the enrolment is active (not refunded) and attendance is at least the course's " +
    "rule. Everyone else is listed in `skipped` with a reason. Running it again issues nothing " +
    "twice. 409 unless the batch is completed.",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(IssueResultSchema, "What was issued, and who was skipped and why"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await issueForBatch(serviceContext(c), c.req.valid("param").id), 200);
  });
}
