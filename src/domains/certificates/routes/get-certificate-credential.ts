import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { analyticsFromConfig, rateLimit } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { CodeParams } from "../schemas";
import { certificateCredential } from "../service/credential";

export const route = createRoute({
  method: "get",
  path: "/v1/certificates/{code}/credential",
  operationId: "getCertificateCredential",
  tags: ["Certificates"],
  summary: "The certificate as an Open Badges 3.0 VC-JWT (public), checkable offline",
  description:
    "Signed with Ed25519 (`alg: EdDSA`); its `kid` is in /.well-known/jwks.json. The learner " +
    "appears only as a salted hash of their email. 410 once revoked.",
  security: [],
  // Per address (codes cannot be walked: 130 random bits; this bounds the signing work).
  middleware: [rateLimit("catalogue", { analytics: analyticsFromConfig })] as const,
  request: { params: CodeParams },
  responses: {
    ...errorResponses(404, 410, 429),
    200: {
      description: "The VC-JWT",
      content: { "application/vc+jwt": { schema: { type: "string" } } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const jwt = await certificateCredential(serviceContext(c), c.req.valid("param").code);
    return c.body(jwt, 200, { "Content-Type": "application/vc+jwt" }) as never;
  });
}
