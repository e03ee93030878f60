import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { escapeHtml } from "../../../lib/notifications/templates";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { unsubscribe } from "../service";

const TokenQuery = z.object({
  token: z
    .string()
    .min(10)
    .max(1000)
    .openapi({ param: { name: "token", in: "query" }, description: "From the email's link" }),
});

const html = (body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title>` +
  `<meta name="viewport" content="width=device-width,initial-scale=1"></head>` +
  `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;

const htmlContent = (description: string) => ({
  description,
  content: { "text/html": { schema: z.string() } },
});

/** The link in the email opens a page (link scanners only GET); the button or the mail client's one-click POSTs. */
export const confirmRoute = createRoute({
  method: "get",
  path: "/v1/unsubscribe",
  operationId: "unsubscribePage",
  tags: ["Notifications"],
  summary: "The unsubscribe page for a marketing email's link (confirms with a POST)",
  security: [],
  request: { query: TokenQuery },
  responses: { ...errorResponses(), 200: htmlContent("A page with one button") },
});

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
  app.openapi(confirmRoute, (c) => {
    const action = `/v1/unsubscribe?token=${encodeURIComponent(c.req.valid("query").token)}`;
    return c.html(
      html(
        `<h1>Unsubscribe</h1><p>Stop course news and follow-ups by email? Receipts, class ` +
          `changes and account emails still reach you.</p><form method="post" action="${escapeHtml(
            action,
          )}"><button type="submit">Unsubscribe</button></form>`,
      ),
      200,
    );
  });
  app.openapi(route, async (c) => {
    await unsubscribe(serviceContext(c), c.req.valid("query").token);
    return c.html(
      html("<h1>You are unsubscribed</h1><p>We will not email you about courses again.</p>"),
      200,
    );
  });
}
