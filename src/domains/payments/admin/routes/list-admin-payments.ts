import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../../lib/context";
import { errorResponses, jsonContent } from "../../../../lib/openapi";
import { withPageLinks } from "../../../../lib/pagination";
import { serviceContext } from "../../../../lib/service-context";
import { AdminPaymentPage, PaymentListQuery } from "../schemas";
import { listAdminPayments } from "../service/list";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/payments",
  operationId: "listAdminPayments",
  tags: ["Admin"],
  summary: "Payments, newest first (filter by status, creation time, student or provider id)",
  security: [{ bearerAuth: [] }],
  request: { query: PaymentListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AdminPaymentPage, "A page of payments"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listAdminPayments(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
