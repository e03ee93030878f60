import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { idempotency, idempotencyKeyHeaders } from "../../../lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { CreateLeadBody, LeadReceivedSchema } from "../schemas";
import { submitLead } from "../service/submit";

export const route = createRoute({
  method: "post",
  path: "/v1/leads",
  operationId: "createLead",
  tags: ["Leads"],
  summary: "The website's enquiry form: a lead (merged into the person's contact if known)",
  description:
    "Public. Needs a Turnstile token (400 TURNSTILE_FAILED when invalid or expired, 503 when " +
    "Turnstile cannot be reached) and an email or phone (400 naming the field when invalid). " +
    "The answer is 202 `{status: received}` whether the person was new or already known. " +
    "Limited by the `strict` policy per address; honours Idempotency-Key.",
  security: [],
  middleware: [idempotency()] as const,
  request: { headers: idempotencyKeyHeaders(), body: jsonBody(CreateLeadBody) },
  responses: {
    ...errorResponses(409, 422),
    202: jsonContent(LeadReceivedSchema, "Received"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    return c.json(await submitLead(serviceContext(c), c.req.valid("json")), 202);
  });
}
