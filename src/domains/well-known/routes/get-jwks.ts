import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { publicJwks } from "../../../lib/certificates/keys";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { JwksSchema } from "../schemas";

export const route = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "getJwks",
  tags: ["Certificates"],
  summary: "Public keys that verify certificate credentials (JWKS)",
  security: [],
  responses: {
    200: jsonContent(JwksSchema, "The current and previous certificate signing keys"),
    ...errorResponses(),
  },
});

export function registerGetJwks(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, (c) => {
    // Short: after a rotation, verifiers see the new key within five minutes.
    c.header("Cache-Control", "public, max-age=300");
    return c.json(publicJwks(c.get("config")), 200);
  });
}
