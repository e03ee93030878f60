import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { FeedQuery } from "../schemas";
import { renderFeed } from "../service/calendar-feed";

export const route = createRoute({
  method: "get",
  path: "/v1/me/schedule.ics",
  operationId: "getScheduleFeed",
  tags: ["Sessions"],
  summary: "Your classes as an iCalendar feed, for calendar apps (token in the URL)",
  description:
    "Authenticated only by the token from POST /v1/me/calendar-feed (calendar apps cannot send " +
    "headers). Unknown, revoked or malformed tokens: 404. Covers the last 30 and next 180 " +
    "days; cancelled classes stay as STATUS:CANCELLED. Holds no join URLs.",
  security: [],
  request: { query: FeedQuery },
  responses: {
    ...errorResponses(404),
    200: {
      description: "RFC 5545 calendar",
      content: { "text/calendar": { schema: z.string() } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const body = await renderFeed(serviceContext(c), c.req.valid("query").token);
    return c.body(body, 200, {
      "Content-Type": "text/calendar; charset=utf-8",
      "Cache-Control": "private, no-store",
    });
  });
}
