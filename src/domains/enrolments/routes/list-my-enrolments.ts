import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { EnrolmentPage, MyEnrolmentsQuery } from "../schemas";
import { listMyEnrolments } from "../service/lists";

export const route = createRoute({
  method: "get",
  path: "/v1/me/enrolments",
  operationId: "listMyEnrolments",
  tags: ["Enrolments"],
  summary: "Your enrolments, newest first, with their course and batch (paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: MyEnrolmentsQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(EnrolmentPage, "A page of your enrolments"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const page = await listMyEnrolments(serviceContext(c), c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
