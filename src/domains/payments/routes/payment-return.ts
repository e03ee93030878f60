import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { type PaymentStatus, payments } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { analyticsFromConfig, rateLimit } from "../../../lib/rate-limit/middleware";
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
  // Per address with a high ceiling (a classroom behind one address comes back from checkout
  // at once); the page asks Instamojo only about checkouts of ours still open.
  middleware: [rateLimit("catalogue", { analytics: analyticsFromConfig })] as const,
  request: { query: PaymentReturnQuery },
  responses: {
    ...errorResponses(400, 429),
    303: { description: "To the front end's result page" },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const ctx = serviceContext(c);
    let status = "unknown";
    let ids: { paymentId?: string; enrolmentId?: string } = {};
    // Anyone can call this page: only a checkout of ours that can still be paid (open, or
    // failed: the buyer may retry on the same page) costs a call to Instamojo; a settled one
    // is answered from the database, anything else is `unknown`.
    const [ours] = await runAs(ctx.http, SYSTEM, (db) =>
      db
        .select({
          id: payments.id,
          enrolmentId: payments.enrolmentId,
          status: payments.status,
          // A failed checkout's page stays payable until its expiry (the job's hour after it).
          payable: sql<boolean>`${payments.status} in ('created', 'pending') or (${payments.status} = 'failed' and ${payments.expiresAt} > now() - interval '1 hour')`,
        })
        .from(payments)
        .where(eq(payments.providerRequestId, q.payment_request_id))
        .limit(1),
    );
    if (ours) {
      status = publicStatus(ours.status);
      ids = { paymentId: ours.id, enrolmentId: ours.enrolmentId };
    }
    if (ours && q.payment_id && ours.payable) {
      try {
        const result = await confirmFromProvider(ctx, {
          paymentId: q.payment_id,
          requestId: q.payment_request_id,
          cause: "return",
        });
        if (result.status) status = publicStatus(result.status);
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
