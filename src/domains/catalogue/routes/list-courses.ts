import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { cacheStatus } from "../../../lib/cache";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { CacheStatusHeader, PublicCourseListQuery, PublicCoursePage } from "../schemas";
import { listPublicCourses } from "../service/public";

export const route = createRoute({
  method: "get",
  path: "/v1/courses",
  operationId: "listCourses",
  tags: ["Catalogue"],
  summary: "Published courses, newest first (filter by category, level, language; keyset pages)",
  security: [],
  request: { query: PublicCourseListQuery },
  responses: {
    ...errorResponses(),
    200: {
      ...jsonContent(PublicCoursePage, "A page of published courses"),
      headers: z.object({ "Cache-Status": CacheStatusHeader }),
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { value, outcome } = await listPublicCourses(serviceContext(c), c.req.valid("query"));
    c.header("Cache-Status", cacheStatus(outcome));
    return c.json(withPageLinks(c, value), 200);
  });
}
