import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { RatingBody, StudentTicketSchema, TicketIdParams } from "../schemas";
import { rateTicket } from "../service/student";

export const route = createRoute({
  method: "post",
  path: "/v1/tickets/{id}/rating",
  operationId: "rateTicket",
  tags: ["Support"],
  summary: "Rate how your solved ticket was handled (1–5 and a comment, once)",
  description: "409 before the ticket is solved, and once it has been rated.",
  security: [{ bearerAuth: [] }],
  request: { params: TicketIdParams, body: jsonBody(RatingBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(StudentTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ticket = await rateTicket(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(ticket, 200);
  });
}
