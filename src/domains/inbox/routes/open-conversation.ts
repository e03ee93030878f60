import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ConversationSchema, OpenConversationBody } from "../schemas";
import { openConversation } from "../service/conversations";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/conversations",
  operationId: "openConversation",
  tags: ["Inbox"],
  summary: "Open the thread with a contact on a channel (get or create)",
  description:
    "The address is the contact's: email for `email`, the phone for `whatsapp` and `sms`; " +
    "422 CONTACT_UNREACHABLE when the contact has none. 201 when the thread is new, 200 when " +
    "it existed.",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(OpenConversationBody) },
  responses: {
    ...errorResponses(401, 403, 404, 422),
    200: jsonContent(ConversationSchema, "The existing thread"),
    201: jsonContent(ConversationSchema, "The new thread"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { created, conversation } = await openConversation(
      serviceContext(c),
      c.req.valid("json"),
    );
    return created ? c.json(conversation, 201) : c.json(conversation, 200);
  });
}
