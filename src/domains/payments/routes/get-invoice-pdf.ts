import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { InvoicePdfParams } from "../schemas";
import { invoicePdf } from "../service/invoice-views";

export const route = createRoute({
  method: "get",
  // Served as /v1/invoices/<id>.pdf: the router cannot put a suffix after a parameter, so the
  // parameter is the whole last segment, checked to be an id followed by `.pdf`.
  path: "/v1/invoices/{id}",
  operationId: "getInvoicePdf",
  tags: ["Payments"],
  summary:
    "An invoice or credit note as a PDF: GET /v1/invoices/<id>.pdf (its student or an admin)",
  security: [{ bearerAuth: [] }],
  request: { params: InvoicePdfParams },
  responses: {
    ...errorResponses(401, 404),
    200: {
      description: "The PDF",
      content: { "application/pdf": { schema: { type: "string", format: "binary" } } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id.slice(0, -".pdf".length).toLowerCase();
    const { number, pdf } = await invoicePdf(serviceContext(c), id);
    const filename = `${number.replaceAll("/", "-")}.pdf`;
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "private, no-store",
    }) as never;
  });
}
