import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { AdminTicketListQuery, AdminTicketPage } from "../schemas";
import { listTickets } from "../service/admin-list";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/tickets",
  operationId: "listTickets",
  tags: ["Support"],
  summary: "Tickets, newest first (filter by status, priority, assignee, category, breach, text)",
  security: [{ bearerAuth: [] }],
  request: { query: AdminTicketListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AdminTicketPage, "A page of tickets"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listTickets(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
