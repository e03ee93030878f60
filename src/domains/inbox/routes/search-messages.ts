import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { serviceContext } from "../../../lib/service-context";
import { SearchQuery, SearchResultSchema } from "../schemas";
import { searchMessages } from "../service/search";

export const route = createRoute({
  method: "get",
  path: "/v1/admin/messages/search",
  operationId: "searchMessages",
  tags: ["Inbox"],
  summary: "Full-text search over message bodies, best matches first, with highlights",
  description:
    'English full-text search (`websearch_to_tsquery`: words, "phrases", OR, -word), ranked ' +
    "by ts_rank. At most `limit` (≤ 50) results: the best matches, not a pageable list. " +
    "`highlight` is HTML-escaped text in which only <mark>…</mark> is markup.",
  security: [{ bearerAuth: [] }],
  request: { query: SearchQuery },
  responses: {
    ...errorResponses(401, 403),
    200: jsonContent(SearchResultSchema, "The best matches"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("query");
    const data = await searchMessages(serviceContext(c), input);
    return c.json({ data, limit: input.limit }, 200);
  });
}
