import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { RescheduleSessionBody, SessionIdParams, SessionSchema } from "../schemas";
import { rescheduleSession } from "../service/sessions";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/sessions/{id}",
  operationId: "rescheduleSession",
  tags: ["Sessions"],
  summary: "Move or rename a scheduled class (Zoom first; students emailed; audited)",
  description:
    "Updates the Zoom meeting, then the class; enrolled students are emailed the new time in " +
    "the batch's time zone. If Zoom fails: 502 and the class is unchanged. Live, ended or " +
    "cancelled classes: 409.",
  security: [{ bearerAuth: [] }],
  request: { params: SessionIdParams, body: jsonBody(RescheduleSessionBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409, 502),
    200: jsonContent(SessionSchema, "The class as it is now"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await rescheduleSession(serviceContext(c), id, c.req.valid("json")), 200);
  });
}
