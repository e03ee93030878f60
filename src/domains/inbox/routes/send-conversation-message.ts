import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ConversationIdParams, SendMessageBody, SentMessageSchema } from "../schemas";
import { sendMessage } from "../service/messages";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/conversations/{id}/messages",
  operationId: "sendConversationMessage",
  tags: ["Inbox"],
  summary: "Reply on a thread's channel: free text or a named template (queued in the outbox)",
  description:
    "Requires Idempotency-Key. Written in one transaction: the message (queued), its " +
    "notification, the thread's last activity, an activity on the contact and an audit row; " +
    "the provider is called after the response. Free text is transactional (sent at once); a " +
    "template keeps its own kind (`lead_follow_up` is marketing: in quiet hours, 21:00–09:00 " +
    "IST, it waits for 09:00, see `notification.notBefore`). WhatsApp: free text only within " +
    "24 h of the contact's last message, else 409 WHATSAPP_WINDOW_CLOSED and nothing is " +
    "written. An opted-out address: 409 CONTACT_OPTED_OUT, the refusal kept on record (the " +
    "notification `suppressed`, the message `failed`).",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency({ required: true })] as const,
  request: {
    params: ConversationIdParams,
    headers: idempotencyKeyHeaders({ required: true }),
    body: jsonBody(SendMessageBody),
  },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    201: jsonContent(SentMessageSchema, "Queued: the message and its notification"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const view = await sendMessage(serviceContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(view, 201);
  });
}
