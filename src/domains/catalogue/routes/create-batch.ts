import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchSchema, CourseIdParams, CreateBatchBody } from "../schemas";
import { createBatch } from "../service/batches";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/courses/{id}/batches",
  operationId: "createBatch",
  tags: ["Catalogue"],
  summary: "Add a batch (cohort) to a course that is not archived (audited)",
  security: [{ bearerAuth: [] }],
  request: { params: CourseIdParams, body: jsonBody(CreateBatchBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    201: jsonContent(BatchSchema, "The new batch, scheduled"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await createBatch(serviceContext(c), id, c.req.valid("json")), 201);
  });
}
