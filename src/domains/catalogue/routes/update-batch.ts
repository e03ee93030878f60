import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, BatchSchema, UpdateBatchBody } from "../schemas";
import { updateBatch } from "../service/batches";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/batches/{id}",
  operationId: "updateBatch",
  tags: ["Catalogue"],
  summary: "Change a batch or its status (audited; 409 names the statuses allowed next)",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams, body: jsonBody(UpdateBatchBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(BatchSchema, "The batch as it is now"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await updateBatch(serviceContext(c), id, c.req.valid("json")), 200);
  });
}
