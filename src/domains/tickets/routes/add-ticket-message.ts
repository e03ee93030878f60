import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminReplyBody, AdminTicketSchema, TicketIdParams } from "../schemas";
import { replyAsAdmin } from "../service/admin";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/tickets/{id}/replies",
  operationId: "addTicketMessage",
  tags: ["Support"],
  summary: "Reply to the student, or add an internal note (`internal: true`)",
  description:
    "A public reply is emailed to the student; the first one stops the first-response clock. " +
    "A note is for admins only: no student route shows it and nobody is sent it. `status` " +
    "moves the ticket in the same step (409 outside the lifecycle). A closed ticket takes " +
    "notes only. Honours Idempotency-Key.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency()] as const,
  request: {
    headers: idempotencyKeyHeaders({ required: false }),
    params: TicketIdParams,
    body: jsonBody(AdminReplyBody),
  },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    201: jsonContent(AdminTicketSchema, "The ticket"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ticket = await replyAsAdmin(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(ticket, 201);
  });
}
