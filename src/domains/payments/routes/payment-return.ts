import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { PaymentStatus } from "../../../db/schema";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { instamojoFailureOf } from "../../../providers/instamojo";
import { PaymentReturnQuery } from "../schemas";
import { confirmFromProvider } from "../service/confirm";

export const route = createRoute({
  method: "get",
  path: "/v1/payments/return",
  operationId: "paymentReturn",
  tags: ["Payments"],
  summary: "Where Instamojo sends the student after paying: confirms, then redirects",
  description:
    "The query string is never trusted: the payment is read from Instamojo's API and settled " +
    "(exactly once, shared with the webhook), then 303 to PAYMENT_RESULT_URL with " +
    "`status` (paid, failed, pending or unknown), `paymentId` and `enrolmentId`. When " +
    "Instamojo cannot be reached the student is sent on with `status=pending`: the webhook or " +
    "the scheduled reconciliation settles the payment.",
  security: [],
  request: { query: PaymentReturnQuery },
  responses: {
    ...errorResponses(400),
    303: { description: "To the front end's result page" },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const ctx = serviceContext(c);
    let status = "unknown";
    let ids: { paymentId?: string; enrolmentId?: string } = {};
    if (q.payment_id) {
      try {
        const result = await confirmFromProvider(ctx, {
          paymentId: q.payment_id,
          requestId: q.payment_request_id,
          cause: "return",
        });
        status = result.status ? publicStatus(result.status) : "unknown";
        ids = result;
      } catch (err) {
        if (!instamojoFailureOf(err)) throw err;
        status = "pending";
      }
    }
    const target = new URL(ctx.config.PAYMENT_RESULT_URL);
    target.searchParams.set("status", status);
    if (ids.paymentId) target.searchParams.set("paymentId", ids.paymentId);
    if (ids.enrolmentId) target.searchParams.set("enrolmentId", ids.enrolmentId);
    return c.redirect(target.toString(), 303);
  });
}

/** What the front end is told: paid (refunds come later), failed, or pending. */
function publicStatus(s: PaymentStatus): "paid" | "failed" | "pending" {
  if (s === "paid" || s === "partially_refunded" || s === "refunded") return "paid";
  if (s === "failed" || s === "expired") return "failed";
  return "pending";
}
