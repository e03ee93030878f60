import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { unsubscribe } from "../service";
import { html, htmlContent, TokenQuery } from "./unsubscribe-page";

export const route = createRoute({
  method: "post",
  path: "/v1/unsubscribe",
  operationId: "unsubscribe",
  tags: ["Notifications"],
  summary:
    "Stop marketing email to the link's address (RFC 8058 one-click; transactional mail continues)",
  security: [],
  request: { query: TokenQuery },
  responses: { ...errorResponses(), 200: htmlContent("Unsubscribed") },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    await unsubscribe(serviceContext(c), c.req.valid("query").token);
    return c.html(
      html("<h1>You are unsubscribed</h1><p>We will not email you about courses again.</p>"),
      200,
    );
  });
}
