import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, SessionListSchema } from "../schemas";
import { listBatchSessions } from "../service/sessions";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/batches/{id}/sessions",
  operationId: "listBatchSessions",
  tags: ["Sessions"],
  summary: "A batch's classes in time order, cancelled ones included",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(SessionListSchema, "Every class of the batch, earliest first"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await listBatchSessions(serviceContext(c), id), 200);
  });
}
