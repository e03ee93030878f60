import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { revokeCalendarFeed } from "../service/calendar-feed";

export const route = createRoute({
  method: "delete",
  path: "/v1/me/calendar-feed",
  operationId: "revokeCalendarFeed",
  tags: ["Sessions"],
  summary: "Revoke your calendar feed: its URL answers 404 at once (idempotent)",
  security: [{ bearerAuth: [] }],
  responses: {
    ...errorResponses(401),
    204: { description: "No feed any more" },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await revokeCalendarFeed(serviceContext(c));
    return c.body(null, 204);
  });
}
