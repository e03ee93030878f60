import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { keysetQuery, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { StudentTicketPage } from "../schemas";
import { listMyTickets } from "../service/student";

export const route = createRoute({
  method: "get",
  path: "/v1/me/tickets",
  operationId: "listMyTickets",
  tags: ["Support"],
  summary: "Your support tickets, newest first",
  security: [{ bearerAuth: [] }],
  request: { query: keysetQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(StudentTicketPage, "A page of tickets"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMyTickets(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
