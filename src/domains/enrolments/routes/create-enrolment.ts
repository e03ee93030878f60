import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CreateEnrolmentBody, EnrolmentSchema } from "../schemas";
import { enrol } from "../service/enrol";

export const route = createRoute({
  method: "post",
  path: "/v1/enrolments",
  operationId: "createEnrolment",
  tags: ["Enrolments"],
  summary: "Enrol in a batch: active when free, else a seat held 30 minutes for payment",
  description:
    "Students only. 404 for an unknown or unpublished batch; 409 ENROLMENT_CLOSED outside the " +
    "enrolment window or for a completed batch; 409 BATCH_FULL when every seat is taken. A " +
    "student who already holds a seat gets it back unchanged (200); a cancelled or expired " +
    "enrolment is taken again (201). Honours Idempotency-Key: a retry with the same key and " +
    "body gets the first answer again, with Idempotent-Replayed: true.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency()] as const,
  request: { headers: idempotencyKeyHeaders(), body: jsonBody(CreateEnrolmentBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    200: jsonContent(EnrolmentSchema, "The student's existing enrolment, unchanged"),
    201: jsonContent(EnrolmentSchema, "The enrolment: active (free) or pending_payment (paid)"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { enrolment, created } = await enrol(serviceContext(c), c.req.valid("json"));
    return created ? c.json(enrolment, 201) : c.json(enrolment, 200);
  });
}
