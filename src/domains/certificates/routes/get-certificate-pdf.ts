import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { analyticsFromConfig, rateLimit } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { certificatePdf } from "../service/pdf";

export const route = createRoute({
  method: "get",
  // Served as /v1/certificates/<code>.pdf: the router cannot put a suffix after a parameter,
  // so the parameter is the whole last segment, a code followed by `.pdf`.
  path: "/v1/certificates/{file}",
  operationId: "getCertificatePdf",
  tags: ["Certificates"],
  summary:
    "The certificate as a one-page A4 PDF with its QR code (public): /v1/certificates/<code>.pdf",
  description:
    "Name, course, dates, code, issuer and a QR code of the verify URL; a revoked certificate " +
    "carries a REVOKED mark. `strict` rate limit per address (rendering is costly).",
  security: [],
  middleware: [rateLimit("strict", { analytics: analyticsFromConfig })] as const,
  request: {
    params: z.object({
      file: z
        .string()
        .max(80)
        .regex(/\.pdf$/i, "a certificate code followed by .pdf")
        .openapi({
          param: { name: "file", in: "path" },
          example: "7KQ4-M2XD-9RTB-HF3QW-ZP8NA-C6VJ0.pdf",
        }),
    }),
  },
  responses: {
    ...errorResponses(404, 429),
    200: {
      description: "The PDF",
      content: { "application/pdf": { schema: { type: "string", format: "binary" } } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const file = c.req.valid("param").file;
    const { pdf, code } = await certificatePdf(serviceContext(c), file.slice(0, -".pdf".length), {
      kv: c.get("services").cache,
      assets: {
        fetchAsset: async (path) => {
          const res = await c.env.ASSETS.fetch(new URL(path, "http://assets.local"));
          if (!res.ok) throw new Error(`asset ${path}: ${res.status}`);
          return res.arrayBuffer();
        },
      },
    });
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/pdf",
      "Content-Disposition": `inline; filename="certificate-${code}.pdf"`,
      "Cache-Control": "no-store",
    }) as never;
  });
}
