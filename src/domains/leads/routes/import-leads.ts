import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { AppError } from "../../../lib/errors";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ImportResultSchema } from "../schemas";
import { IMPORT_COLUMNS, IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, importLeads } from "../service/import";

export const IMPORT_PATH = "/v1/admin/leads/import";

export const route = createRoute({
  method: "post",
  path: IMPORT_PATH,
  operationId: "importLeads",
  tags: ["Leads"],
  summary: "Import leads from a CSV file (good rows imported, bad rows reported)",
  description:
    `Content-Type text/csv (UTF-8), at most ${IMPORT_MAX_BYTES} bytes and ${IMPORT_MAX_ROWS} ` +
    `rows after a required header row. Columns (any order, case-insensitive): ` +
    `${IMPORT_COLUMNS.join(", ")}; name and an email or phone column are required, others are ` +
    "reported as ignored. `source` is one of the contact sources (default import). Every good " +
    "row is imported in one transaction, matched like the lead form (against contacts, " +
    "students and earlier rows of the file); bad rows are skipped and listed with their line " +
    "numbers. Too large: 413. Honours Idempotency-Key.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency({ leaseSeconds: 300 })] as const,
  request: {
    headers: idempotencyKeyHeaders(),
    body: {
      required: true,
      content: { "text/csv": { schema: z.string().openapi({ example: "name,email,phone\n" }) } },
    },
  },
  responses: {
    ...errorResponses(401, 403, 409, 422),
    200: jsonContent(ImportResultSchema, "What was imported, and why the rest was not"),
  },
});

/** The import's body is CSV: the app's JSON-only rule lets this path through (src/app.ts). */
export const isCsvImport = (method: string, path: string, contentType: string | undefined) =>
  method === "POST" &&
  path === IMPORT_PATH &&
  (contentType ?? "").split(";")[0]?.trim().toLowerCase() === "text/csv";

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    if (!isCsvImport(c.req.method, c.req.path, c.req.header("Content-Type"))) {
      throw new AppError({
        code: "UNSUPPORTED_MEDIA_TYPE",
        detail: "Send the file as text/csv.",
        headers: { "Accept-Post": "text/csv" },
      });
    }
    return c.json(await importLeads(serviceContext(c), await c.req.text()), 200);
  });
}
