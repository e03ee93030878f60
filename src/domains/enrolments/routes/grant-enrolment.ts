import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, EnrolmentSchema, GrantEnrolmentBody } from "../schemas";
import { grantEnrolment } from "../service/grant";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/batches/{id}/enrolments",
  operationId: "grantEnrolment",
  tags: ["Enrolments"],
  summary: "Grant a student a seat: active at once, nothing owed (audited)",
  description:
    "Counts against capacity: 409 BATCH_FULL when full unless `overCapacity` is true. 404 for " +
    "an unknown batch or user; 409 for a non-student or inactive account, or a batch that is " +
    "completed or cancelled (ENROLMENT_CLOSED). A student already active keeps their seat (200).",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams, body: jsonBody(GrantEnrolmentBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(EnrolmentSchema, "The student's existing active enrolment, unchanged"),
    201: jsonContent(EnrolmentSchema, "The granted enrolment"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { enrolment, created } = await grantEnrolment(serviceContext(c), id, c.req.valid("json"));
    return created ? c.json(enrolment, 201) : c.json(enrolment, 200);
  });
}
