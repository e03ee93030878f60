import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { TemplateNameParam, TemplatePreviewSchema } from "../schemas";
import { templatePreview } from "../service";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/notifications/templates/{name}/preview",
  operationId: "previewNotificationTemplate",
  tags: ["Admin"],
  summary: "A template rendered on each of its channels from its sample variables",
  security: [{ bearerAuth: [] }],
  request: { params: TemplateNameParam },
  responses: {
    ...errorResponses(401, 403, 404),
    200: jsonContent(TemplatePreviewSchema, "The template on each channel"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, (c) => c.json(templatePreview(c.req.valid("param").name), 200));
}
