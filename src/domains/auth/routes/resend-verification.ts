import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { AcceptedSchema } from "../schemas";
import { resendVerification } from "../service/recovery";

export const route = createRoute({
  method: "post",
  path: "/v1/auth/email/resend",
  operationId: "resendVerification",
  tags: ["Auth"],
  summary: "Send a new email verification link",
  security: [{ bearerAuth: [] }],
  responses: {
    ...errorResponses(401),
    202: jsonContent(AcceptedSchema, "Sent unless already verified"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await resendVerification(serviceContext(c));
    return c.json({ status: "accepted" as const }, 202);
  });
}
