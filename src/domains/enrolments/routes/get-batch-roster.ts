import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { withPageLinks } from "../../../lib/pagination";
import { serviceContext } from "../../../lib/service-context";
import { BatchIdParams, RosterPage, RosterQuery } from "../schemas";
import { getRoster } from "../service/lists";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/batches/{id}/roster",
  operationId: "getBatchRoster",
  tags: ["Enrolments"],
  summary: "A batch's enrolments with each student's name, email, status and attendance",
  security: [{ bearerAuth: [] }],
  request: { params: BatchIdParams, query: RosterQuery },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(RosterPage, "A page of the roster, in enrolment order"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const page = await getRoster(serviceContext(c), id, c.req.valid("query"));
    return c.json(withPageLinks(c, page), 200);
  });
}
