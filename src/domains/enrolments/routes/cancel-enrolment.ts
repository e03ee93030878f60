import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CancelledEnrolmentSchema, EnrolmentIdParams } from "../schemas";
import { cancelEnrolment } from "../service/cancel";

export const route = createRoute({
  method: "post",
  path: "/v1/enrolments/{id}/cancel",
  operationId: "cancelEnrolment",
  tags: ["Enrolments"],
  summary: "Give your seat back, before the batch starts (audited)",
  description:
    "Your own enrolment only (another's is 404). 409 once the batch has started (its start " +
    "date in its time zone) or when the enrolment is already cancelled or expired. A paid " +
    "seat is refunded in full through Instamojo (`refund`: requested while Instamojo is not " +
    "reached yet, then sent again by the scheduled job); an open checkout is closed.",
  security: [{ bearerAuth: [] }],
  request: { params: EnrolmentIdParams },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(CancelledEnrolmentSchema, "The enrolment, cancelled, and its refund"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await cancelEnrolment(serviceContext(c), id), 200);
  });
}
