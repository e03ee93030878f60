import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminTicketSchema, TicketIdParams, UpdateTicketBody } from "../schemas";
import { updateTicket } from "../service/admin";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/tickets/{id}",
  operationId: "updateTicket",
  tags: ["Support"],
  summary: "Set a ticket's status (along the lifecycle), priority and assignee",
  description:
    "A move outside the lifecycle is 409 with `currentStatus` and `allowedNextStatuses`; the " +
    "current status again is no change. An assignee that is not an active admin is 422. " +
    "The SLA deadlines follow priority and status; the student is emailed a status change.",
  security: [{ bearerAuth: [] }],
  request: { params: TicketIdParams, body: jsonBody(UpdateTicketBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    200: jsonContent(AdminTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ticket = await updateTicket(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(ticket, 200);
  });
}
