import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { ConvertLeadResultSchema, LeadIdParams } from "../schemas";
import { convertLead } from "../service/convert";

export const route = createRoute({
  method: "post",
  path: "/v1/admin/leads/{id}/convert",
  operationId: "convertLead",
  tags: ["Leads"],
  summary: "Make the lead a student: link or create the account, invite it to set a password",
  description:
    "From new, contacted or qualified. Links the student account with the lead's email (or " +
    "the one already linked); otherwise creates one whose password cannot be used until the " +
    "emailed invitation (7 days) sets it. No email: 422. Already converted: 409 with " +
    "`userId`; a retry with the same Idempotency-Key replays the first answer.",
  security: [{ bearerAuth: [] }],
  middleware: [idempotency()] as const,
  request: { params: LeadIdParams, headers: idempotencyKeyHeaders() },
  responses: {
    ...errorResponses(401, 403, 404, 409, 422),
    200: jsonContent(ConvertLeadResultSchema, "Converted"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await convertLead(serviceContext(c), c.req.valid("param").id), 200);
  });
}
