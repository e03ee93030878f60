import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { StudentReplyBody, StudentTicketSchema, TicketIdParams } from "../schemas";
import { replyAsStudent } from "../service/student";

export const route = createRoute({
  method: "post",
  path: "/v1/tickets/{id}/replies",
  operationId: "replyToTicket",
  tags: ["Support"],
  summary: "Reply on your ticket (reopens a pending, on-hold or recently solved one)",
  description:
    "A reply to a ticket solved less than 7 days ago reopens it. On a closed ticket, or one " +
    "solved longer ago, it is 409 TICKET_CLOSED: open a new ticket. Honours Idempotency-Key.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency()] as const,
  request: {
    headers: idempotencyKeyHeaders({ required: false }),
    params: TicketIdParams,
    body: jsonBody(StudentReplyBody),
  },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    201: jsonContent(StudentTicketSchema, "The ticket with your reply"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ticket = await replyAsStudent(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(ticket, 201);
  });
}
