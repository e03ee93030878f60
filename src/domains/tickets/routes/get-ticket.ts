import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { StudentTicketSchema, TicketIdParams } from "../schemas";
import { getMyTicket } from "../service/student";

export const route = createRoute({
  method: "get",
  path: "/v1/tickets/{id}",
  operationId: "getTicket",
  tags: ["Support"],
  summary: "One of your tickets: replies, attachments and timeline (404 for anyone else's)",
  security: [{ bearerAuth: [] }],
  request: { params: TicketIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(StudentTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getMyTicket(serviceContext(c), c.req.valid("param").id), 200);
  });
}
