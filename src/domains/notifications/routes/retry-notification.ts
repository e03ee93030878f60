import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { NotificationIdParam, NotificationSchema } from "../schemas";
import { retryNotification } from "../service";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/notifications/{id}/retry",
  operationId: "retryNotification",
  tags: ["Admin"],
  summary: "Queue a failed notification again (three more tries, same idempotency key)",
  security: [{ bearerAuth: [] }],
  request: { params: NotificationIdParam },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    202: jsonContent(NotificationSchema, "Queued again"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const view = await retryNotification(serviceContext(c), c.req.valid("param").id);
    return c.json(view, 202);
  });
}
