import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CreateTicketBody, StudentTicketSchema } from "../schemas";
import { createTicket } from "../service/create";

export const route = createRoute({
  method: "post",
  path: "/v1/tickets",
  operationId: "createTicket",
  tags: ["Support"],
  summary: "Open a support ticket (students)",
  description:
    "Requires Idempotency-Key: a retry with the same key replays the first answer. " +
    "`enrolmentId` and `paymentId`, when given, must be your own (422 otherwise). The answer " +
    "carries the ticket's number, e.g. TKT-2026-000123.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency({ required: true })] as const,
  request: { headers: idempotencyKeyHeaders({ required: true }), body: jsonBody(CreateTicketBody) },
  responses: {
    ...errorResponses(401, 403, 409, 422),
    201: jsonContent(StudentTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await createTicket(serviceContext(c), c.req.valid("json")), 201);
  });
}
