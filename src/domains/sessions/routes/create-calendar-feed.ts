import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CalendarFeedSchema } from "../schemas";
import { createCalendarFeed } from "../service/calendar-feed";

export const route = createRoute({
  method: "post",
  path: "/v1/me/calendar-feed",
  operationId: "createCalendarFeed",
  tags: ["Sessions"],
  summary: "Create or rotate your calendar feed URL (shown once; the old one stops working)",
  security: [{ bearerAuth: [] }],
  responses: {
    ...errorResponses(401),
    201: jsonContent(CalendarFeedSchema, "The feed URL, with its secret token"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const feed = await createCalendarFeed(serviceContext(c), new URL(c.req.url).origin);
    c.header("Cache-Control", "no-store");
    return c.json(feed, 201);
  });
}
