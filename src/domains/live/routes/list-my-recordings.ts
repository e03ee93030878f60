import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { MyRecordingsQuery, RecordingPage } from "../schemas";
import { listMyRecordings } from "../service/recordings";

export const route = createRoute({
  method: "get",
  path: "/v1/me/recordings",
  operationId: "listMyRecordings",
  tags: ["Live classes"],
  summary: "Recordings of the classes of my batches (active enrolments), newest class first",
  security: [{ bearerAuth: [] }],
  request: { query: MyRecordingsQuery },
  responses: {
    ...errorResponses(401),
    200: jsonContent(RecordingPage, "A page of recordings"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMyRecordings(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
