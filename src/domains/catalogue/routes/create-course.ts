import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CourseSchema, CreateCourseBody } from "../schemas";
import { createCourse } from "../service/courses";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/courses",
  operationId: "createCourse",
  tags: ["Catalogue"],
  summary: "Create a course, as a draft (audited)",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(CreateCourseBody) },
  responses: {
    ...errorResponses(401, 403, 409),
    201: jsonContent(CourseSchema, "The new draft course"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await createCourse(serviceContext(c), c.req.valid("json")), 201);
  });
}
