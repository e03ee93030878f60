import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { StudentTicketSchema, TicketIdParams } from "../schemas";
import { closeAsStudent } from "../service/student";

export const route = createRoute({
  method: "post",
  path: "/v1/tickets/{id}/close",
  operationId: "closeTicket",
  tags: ["Support"],
  summary: "Close your ticket (final; closing a closed ticket is no change)",
  security: [{ bearerAuth: [] }],
  request: { params: TicketIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(StudentTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await closeAsStudent(serviceContext(c), c.req.valid("param").id), 200);
  });
}
