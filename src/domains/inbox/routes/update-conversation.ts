import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ConversationIdParams, ConversationSchema, UpdateConversationBody } from "../schemas";
import { updateConversation } from "../service/conversations";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/conversations/{id}",
  operationId: "updateConversation",
  tags: ["Inbox"],
  summary: "Mark a thread read or unread, important, archived, snoozed, or assign it",
  description:
    "`snoozedUntil` must be in the future (or null); `assigneeId` an active admin or super " +
    "admin (or null). Audited.",
  security: [{ bearerAuth: [] }],
  request: { params: ConversationIdParams, body: jsonBody(UpdateConversationBody) },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(ConversationSchema, "The thread as it is now"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const view = await updateConversation(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(view, 200);
  });
}
