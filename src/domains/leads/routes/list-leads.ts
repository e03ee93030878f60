import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { LeadListQuery, LeadPage } from "../schemas";
import { listLeads } from "../service/list";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/leads",
  operationId: "listLeads",
  tags: ["Leads"],
  summary: "Leads, newest first (filter by status, source, assignee, text, creation time)",
  security: [{ bearerAuth: [] }],
  request: { query: LeadListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(LeadPage, "A page of leads"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listLeads(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
