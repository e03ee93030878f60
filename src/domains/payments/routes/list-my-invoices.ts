import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { InvoicePage, MyInvoicesQuery } from "../schemas";
import { listMyInvoices } from "../service/invoice-views";

export const route = createRoute({
  method: "get",
  path: "/v1/me/invoices",
  operationId: "listMyInvoices",
  tags: ["Payments"],
  summary: "Your GST invoices and credit notes, newest first (paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: MyInvoicesQuery },
  responses: {
    ...errorResponses(401),
    200: jsonContent(InvoicePage, "A page of your invoices and credit notes"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMyInvoices(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
