import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ScheduleQuery, ScheduleSchema } from "../schemas";
import { mySchedule } from "../service/schedule";

export const route = createRoute({
  method: "get",
  path: "/v1/me/schedule",
  operationId: "getMySchedule",
  tags: ["Sessions"],
  summary: "Your classes (active enrolments) in a window of at most 180 days, no join URLs",
  security: [{ bearerAuth: [] }],
  request: { query: ScheduleQuery },
  responses: {
    ...errorResponses(401),
    200: jsonContent(ScheduleSchema, "Classes overlapping [from, to), earliest first"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    c.header("Cache-Control", "private, no-store");
    return c.json(await mySchedule(serviceContext(c), c.req.valid("query")), 200);
  });
}
