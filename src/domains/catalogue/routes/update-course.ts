import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CourseIdParams, CourseSchema, UpdateCourseBody } from "../schemas";
import { updateCourse } from "../service/courses";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/courses/{id}",
  operationId: "updateCourse",
  tags: ["Catalogue"],
  summary: "Change a course or its status (audited; 409 names the statuses allowed next)",
  security: [{ bearerAuth: [] }],
  request: { params: CourseIdParams, body: jsonBody(UpdateCourseBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409),
    200: jsonContent(CourseSchema, "The course as it is now"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await updateCourse(serviceContext(c), id, c.req.valid("json")), 200);
  });
}
