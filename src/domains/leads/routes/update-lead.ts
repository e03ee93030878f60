import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { LeadIdParams, LeadSchema, UpdateLeadBody } from "../schemas";
import { updateLead } from "../service/update";

export const route = createRoute({
  method: "patch",
  path: "/v1/admin/leads/{id}",
  operationId: "updateLead",
  tags: ["Leads"],
  summary: "Move a lead along the pipeline and/or (un)assign it",
  description:
    "Moves: new → contacted | qualified | lost; contacted → qualified | lost; qualified → " +
    "lost; lost → new (reopen). `lost` needs lostReason. `converted` only through /convert. " +
    "Anything else is 409 with `currentStatus` and `allowedNextStatuses`; the current status " +
    "again is no change. An assignee that is not an active admin or super admin is 422.",
  security: [{ bearerAuth: [] }],
  request: { params: LeadIdParams, body: jsonBody(UpdateLeadBody) },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    200: jsonContent(LeadSchema, "The lead"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const lead = await updateLead(serviceContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(lead, 200);
  });
}
