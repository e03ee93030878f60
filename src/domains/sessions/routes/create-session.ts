import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, CreateSessionBody, SessionSchema } from "../schemas";
import { createSession } from "../service/sessions";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/batches/{id}/sessions",
  operationId: "createSession",
  tags: ["Sessions"],
  summary: "Schedule a live class of a batch as a Zoom meeting (audited; 502 if Zoom fails)",
  description:
    "Creates the Zoom meeting, then the class. Nothing is half-created: if Zoom fails the " +
    "answer is 502 and no class exists; if the class cannot be saved the meeting is deleted.",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams, body: jsonBody(CreateSessionBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409, 502),
    201: jsonContent(SessionSchema, "The new class, scheduled"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await createSession(serviceContext(c), id, c.req.valid("json")), 201);
  });
}
