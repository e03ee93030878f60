import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CreateRefundBody, PaymentIdParams, RefundSchema } from "../schemas";
import { createAdminRefund } from "../service/refunds";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/payments/{id}/refunds",
  operationId: "createRefund",
  tags: ["Payments"],
  summary: "Refund all or part of a payment through Instamojo (admins)",
  description:
    "Requires Idempotency-Key; Instamojo's `transaction_id` is derived from it, so a retry never " +
    "refunds twice. At most what was paid minus what is refunded or being refunded (400 " +
    "otherwise); 409 unless the payment is paid or partially refunded. 201 once Instamojo " +
    "accepted the refund: the credit note is issued in the same transaction, and a full refund " +
    "cancels the enrolment. 502 when Instamojo cannot be reached: the refund stays requested " +
    "and the scheduled job sends it again with the same transaction id.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency({ required: true })] as const,
  request: {
    params: PaymentIdParams,
    headers: idempotencyKeyHeaders({ required: true }),
    body: jsonBody(CreateRefundBody),
  },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422, 502),
    201: jsonContent(RefundSchema, "The refund, accepted by Instamojo, with its credit note"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ctx = serviceContext(c);
    const key = ctx.idempotency?.key;
    if (!key) throw new Error("the refund route runs behind idempotency({ required: true })");
    const view = await createAdminRefund(ctx, c.req.valid("param").id, c.req.valid("json"), key);
    return c.json(view, 201);
  });
}
