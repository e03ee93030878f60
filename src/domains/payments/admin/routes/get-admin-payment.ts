import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../../lib/context";
import { errorResponses, jsonContent } from "../../../../lib/openapi";
import { serviceContext } from "../../../../lib/service-context";
import { AdminPaymentDetailSchema, PaymentIdParams } from "../schemas";
import { getAdminPayment } from "../service/detail";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/payments/{id}",
  operationId: "getAdminPayment",
  tags: ["Admin"],
  summary: "One payment with its timeline, refunds, invoice and credit notes",
  security: [{ bearerAuth: [] }],
  request: { params: PaymentIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(AdminPaymentDetailSchema, "The payment"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getAdminPayment(serviceContext(c), c.req.valid("param").id), 200);
  });
}
