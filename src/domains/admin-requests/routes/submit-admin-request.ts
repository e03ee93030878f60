import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminRequestSchema, SubmitAdminRequestBody } from "../schemas";
import { submitAdminRequest } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin-requests",
  operationId: "submitAdminRequest",
  tags: ["Admin requests"],
  summary: "Ask to become an admin (a verification link is emailed)",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(SubmitAdminRequestBody) },
  responses: {
    ...errorResponses(401, 409),
    201: jsonContent(AdminRequestSchema, "The request, pending email verification"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) =>
    c.json(await submitAdminRequest(serviceContext(c), c.req.valid("json")), 201),
  );
}
