import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminTicketSchema, TicketIdParams } from "../schemas";
import { getTicketForAdmin } from "../service/admin";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/tickets/{id}",
  operationId: "getAdminTicket",
  tags: ["Support"],
  summary: "A ticket's whole thread, internal notes included, its timeline and SLA clocks",
  security: [{ bearerAuth: [] }],
  request: { params: TicketIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(AdminTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getTicketForAdmin(serviceContext(c), c.req.valid("param").id), 200);
  });
}
