import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { TicketStatsQuery, TicketStatsSchema } from "../schemas";
import { ticketStats } from "../service/stats";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/tickets/stats",
  operationId: "getTicketStats",
  tags: ["Support"],
  summary: "Open tickets by priority and category, SLA risks and breaches, median times",
  description:
    "Medians are wall-clock minutes over [from, to) (default: the last 30 days): first " +
    "response for tickets created in the range, resolution for tickets solved in it.",
  security: [{ bearerAuth: [] }],
  request: { query: TicketStatsQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(TicketStatsSchema, "The figures"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await ticketStats(serviceContext(c), c.req.valid("query")), 200);
  });
}
