import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../../lib/context";
import { errorResponses } from "../../../../lib/openapi";
import { serviceContext } from "../../../../lib/service-context";
import { ExportQuery } from "../schemas";
import { exportPaymentsCsv } from "../service/export";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/payments/export.csv",
  operationId: "exportAdminPayments",
  tags: ["Admin"],
  summary: "Payments created in a window, as a CSV file for accounts (streamed)",
  description:
    "One row per payment, oldest first, with its GST invoice's amounts. Times are in India " +
    "(IST), amounts in rupees. Cells a spreadsheet would read as a formula start with `'`.",
  security: [{ bearerAuth: [] }],
  request: { query: ExportQuery },
  responses: {
    ...errorResponses(401, 403),
    200: {
      description: "The CSV file (UTF-8 with a byte-order mark, CRLF line ends, RFC 4180)",
      content: { "text/csv": { schema: z.string() } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { filename, body } = await exportPaymentsCsv(serviceContext(c), c.req.valid("query"));
    return c.body(body, 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    });
  });
}
