import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../../lib/context";
import { errorResponses, jsonContent } from "../../../../lib/openapi";
import { serviceContext } from "../../../../lib/service-context";
import { ReconciliationQuery, ReconciliationSchema } from "../schemas";
import { reconcilePayments } from "../service/reconciliation";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/payments/reconciliation",
  operationId: "getPaymentReconciliation",
  tags: ["Admin"],
  summary: "A day in India: paid, refunded, flagged and stuck payments, and Instamojo mismatches",
  description:
    "The day is a calendar day in Asia/Kolkata. Up to 100 of the day's payments are checked with " +
    "Instamojo, four calls at a time; a payment Instamojo could not be asked about is reported " +
    "as `provider_unavailable`, and without a configured provider `mismatches` is null.",
  security: [{ bearerAuth: [] }],
  request: { query: ReconciliationQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(ReconciliationSchema, "The day's reconciliation"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await reconcilePayments(serviceContext(c), c.req.valid("query")), 200);
  });
}
