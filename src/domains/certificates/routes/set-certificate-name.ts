import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CertificateNameBody } from "../schemas";
import { setCertificateName } from "../service/name";

export const route = createRoute({
  method: "put",
  path: "/v1/me/certificate-name",
  operationId: "setCertificateName",
  tags: ["Certificates"],
  summary: "Set the name your certificates print (once; later ones print it)",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(CertificateNameBody) },
  responses: {
    ...errorResponses(401, 409),
    200: jsonContent(
      z.object({ name: z.string(), setAt: z.string() }).openapi("CertificateName"),
      "The name, as set",
    ),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await setCertificateName(serviceContext(c), c.req.valid("json").name), 200);
  });
}
