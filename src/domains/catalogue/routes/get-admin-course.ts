import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AdminCourseSchema, CourseIdParams } from "../schemas";
import { getAdminCourse } from "../service/courses";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/courses/{id}",
  operationId: "getAdminCourse",
  tags: ["Catalogue"],
  summary: "One course in any status, with all its batches (never cached)",
  security: [{ bearerAuth: [] }],
  request: { params: CourseIdParams },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(AdminCourseSchema, "The course and its batches"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await getAdminCourse(serviceContext(c), c.req.valid("param").id), 200);
  });
}
