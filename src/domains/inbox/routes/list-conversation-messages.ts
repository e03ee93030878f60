import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { ConversationIdParams, MessageListQuery, MessagePage } from "../schemas";
import { listMessages } from "../service/messages";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/conversations/{id}/messages",
  operationId: "listConversationMessages",
  tags: ["Inbox"],
  summary: "A thread's messages, newest first",
  security: [{ bearerAuth: [] }],
  request: { params: ConversationIdParams, query: MessageListQuery },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(MessagePage, "A page of messages"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMessages(
      serviceContext(c),
      c.req.valid("param").id,
      c.req.valid("query"),
    );
    return c.json(withPageLinks(c, page), 200);
  });
}
