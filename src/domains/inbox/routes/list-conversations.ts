import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { ConversationListQuery, ConversationPage } from "../schemas";
import { listConversations } from "../service/conversations";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/conversations",
  operationId: "listConversations",
  tags: ["Inbox"],
  summary: "Conversation threads, newest activity first, with the inbox's unread counts",
  description:
    "The inbox by default: archived threads and threads snoozed until a future time are " +
    "hidden (a snooze ends by itself when `snoozedUntil` passes; an inbound message ends it " +
    "and unarchives the thread). `unread` counts the whole inbox, whatever the filters.",
  security: [{ bearerAuth: [] }],
  request: { query: ConversationListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(ConversationPage, "A page of threads and the unread counts"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listConversations(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
