import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { cacheStatus } from "../../../lib/cache";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CacheStatusHeader, CourseSlugParams, PublicCourseSchema } from "../schemas";
import { getPublicCourse } from "../service/public";

export const route = createRoute({
  method: "get",
  path: "/v1/courses/{slug}",
  operationId: "getCourse",
  tags: ["Catalogue"],
  summary: "A published course with its batches open for enrolment (seats left, next session)",
  security: [],
  request: { params: CourseSlugParams },
  responses: {
    ...errorResponses(404),
    200: {
      ...jsonContent(PublicCourseSchema, "The course"),
      headers: z.object({ "Cache-Status": CacheStatusHeader }),
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { value, outcome } = await getPublicCourse(serviceContext(c), c.req.valid("param").slug);
    c.header("Cache-Status", cacheStatus(outcome));
    return c.json(value, 200);
  });
}
