import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { NotificationListQuery, NotificationPage } from "../schemas";
import { listNotifications } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/notifications",
  operationId: "listNotifications",
  tags: ["Admin"],
  summary: "Outbound notifications, newest first (status=failed: what needs a retry)",
  security: [{ bearerAuth: [] }],
  request: { query: NotificationListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(NotificationPage, "A page of notifications"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listNotifications(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
