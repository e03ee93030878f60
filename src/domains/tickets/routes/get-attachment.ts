import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { downloadAttachment } from "../service/attachments";

const Params = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export const route = createRoute({
  method: "get",
  path: "/v1/attachments/{id}",
  operationId: "getAttachment",
  tags: ["Support"],
  summary: "Download an attachment (the ticket's student or an admin; 404 for anyone else)",
  description:
    "Streamed with `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and " +
    "the type found at upload: never rendered in the API's origin.",
  security: [{ bearerAuth: [] }],
  request: { params: Params },
  responses: {
    ...errorResponses(401, 404),
    200: {
      description: "The file",
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { body, headers } = await downloadAttachment(serviceContext(c), c.req.valid("param").id);
    return c.body(body, 200, headers) as never;
  });
}
