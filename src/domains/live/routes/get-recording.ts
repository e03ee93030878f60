import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { RecordingIdParams, RecordingSchema } from "../schemas";
import { getRecording } from "../service/recordings";

export const route = createRoute({
  method: "get",
  path: "/v1/recordings/{id}",
  operationId: "getRecording",
  tags: ["Live classes"],
  summary: "One recording: for students enrolled (active) in its batch, and admins",
  security: [{ bearerAuth: [] }],
  request: { params: RecordingIdParams },
  responses: {
    ...errorResponses(401, 404),
    200: jsonContent(RecordingSchema, "The recording"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getRecording(serviceContext(c), c.req.valid("param").id), 200);
  });
}
