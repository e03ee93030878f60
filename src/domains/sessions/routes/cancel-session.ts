import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { SessionIdParams, SessionSchema } from "../schemas";
import { cancelSession } from "../service/sessions";

export const route = createRoute({
  method: "delete",
  path: "/v1/admin/sessions/{id}",
  operationId: "cancelSession",
  tags: ["Sessions"],
  summary: "Cancel a class: its Zoom meeting is deleted, the class stays listed as cancelled",
  description:
    "Idempotent: cancelling a cancelled class answers 200 with the class again and calls " +
    "nothing. Students are emailed once. An ended class: 409. If Zoom fails: 502, unchanged.",
  security: [{ bearerAuth: [] }],
  request: { params: SessionIdParams },
  responses: {
    ...errorResponses(401, 403, 404, 409, 502),
    200: jsonContent(SessionSchema, "The class, cancelled"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await cancelSession(serviceContext(c), id), 200);
  });
}
