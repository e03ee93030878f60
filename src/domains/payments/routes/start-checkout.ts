import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { analyticsFromConfig, rateLimit } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { CheckoutBody, CheckoutSchema, EnrolmentIdParams } from "../schemas";
import { startCheckout } from "../service/checkout";

export const route = createRoute({
  method: "post",
  path: "/v1/enrolments/{id}/payments",
  operationId: "startCheckout",
  tags: ["Payments"],
  summary: "Pay for a held seat: an Instamojo checkout page for your pending enrolment",
  description:
    "Students only, for their own `pending_payment` enrolment whose hold is running (409 " +
    "otherwise). Requires Idempotency-Key: the same key and body replay the first answer " +
    "(Idempotent-Replayed: true), another body gets 422. An open checkout of the enrolment is " +
    "reused (200), never duplicated. 502 when Instamojo cannot be reached. The `payment` " +
    "rate-limit policy applies (per student).",
  security: [{ bearerAuth: [] }],
  middleware: [
    rateLimit("payment", { analytics: analyticsFromConfig }),
    idempotency({ required: true }),
  ] as const,
  request: {
    params: EnrolmentIdParams,
    headers: idempotencyKeyHeaders({ required: true }),
    body: jsonBody(CheckoutBody),
  },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422, 429, 502),
    200: jsonContent(CheckoutSchema, "The enrolment's open checkout, reused"),
    201: jsonContent(CheckoutSchema, "A new checkout: send the student to checkoutUrl"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { view, created } = await startCheckout(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
      c.req.url,
    );
    return created ? c.json(view, 201) : c.json(view, 200);
  });
}
