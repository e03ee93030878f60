import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { cacheStatus } from "../../../lib/cache";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { analyticsFromConfig, rateLimit } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { CodeParams, VerificationSchema } from "../schemas";
import { verifyCertificate } from "../service/verify";

export const route = createRoute({
  method: "get",
  path: "/v1/certificates/verify/{code}",
  operationId: "verifyCertificate",
  tags: ["Certificates"],
  summary: "Check a certificate by its code (public): valid, revoked or unknown",
  description:
    "What an employer needs and nothing else about the student. The code may be typed with " +
    "spaces, hyphens or lower case; 400 when it is not a code, and 400 with `reason: mistyped` " +
    "when its check character does not match. Revocation shows on the very next request. " +
    "`strict` rate limit per address.",
  security: [],
  middleware: [rateLimit("strict", { analytics: analyticsFromConfig })] as const,
  request: { params: CodeParams },
  responses: {
    ...errorResponses(429),
    200: jsonContent(VerificationSchema, "The certificate's status"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { verification, cache } = await verifyCertificate(
      serviceContext(c),
      c.req.valid("param").code,
    );
    c.header("Cache-Status", cacheStatus(cache));
    c.header("Cache-Control", "no-store");
    return c.json(verification, 200);
  });
}
