import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { LeadDetailSchema, LeadIdParams } from "../schemas";
import { getLead } from "../service/detail";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/leads/{id}",
  operationId: "getLead",
  tags: ["Leads"],
  summary: "One lead with its timeline (activities and messages, newest first)",
  security: [{ bearerAuth: [] }],
  request: { params: LeadIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(LeadDetailSchema, "The lead"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getLead(serviceContext(c), c.req.valid("param").id), 200);
  });
}
