import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { JoinSchema, SessionIdParams } from "../schemas";
import { joinSession } from "../service/schedule";

export const route = createRoute({
  method: "get",
  path: "/v1/sessions/{id}/join",
  operationId: "getSessionJoin",
  tags: ["Sessions"],
  summary: "The Zoom join URL: enrolled students, 15 minutes before the start until the end",
  description:
    "Students need an active enrolment in the class's batch; anyone else, and any cancelled or " +
    "unknown class, gets the same 404. Enrolled students outside the window get 409 with " +
    "`opensAt` and `closesAt`. Admins get the URL of any class not cancelled or ended.",
  security: [{ bearerAuth: [] }],
  request: { params: SessionIdParams },
  responses: {
    ...errorResponses(401, 404, 409),
    200: jsonContent(JoinSchema, "The join URL (never cached)"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    c.header("Cache-Control", "private, no-store");
    return c.json(await joinSession(serviceContext(c), id), 200);
  });
}
