import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { pageRequest, withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { AdminCourseListQuery, AdminCoursePage } from "../schemas";
import { listAdminCourses } from "../service/courses";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/courses",
  operationId: "listAdminCourses",
  tags: ["Catalogue"],
  summary: "List courses in every status (filter by status, category, level, language; paginated)",
  security: [{ bearerAuth: [] }],
  request: { query: AdminCourseListQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(AdminCoursePage, "A page of courses, newest first"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listAdminCourses(serviceContext(c), { ...query, page: pageRequest(query) });
    return c.json(withPageLinks(c, page), 200);
  });
}
