/**
 * The real app plus a list route over `error_logs` that pages like every production list will:
 * keyset by default (newest first, ties broken by id), offset mode when `page` is given.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, count, eq, sql } from "drizzle-orm";
import { createApp } from "../../src/app";
import { errorLogs } from "../../src/db/schema";
import { runAs, SYSTEM } from "../../src/db/transaction";
import { errorResponses, jsonContent } from "../../src/lib/openapi";
import {
  keysetPage,
  listScope,
  offsetPage,
  pageRequest,
  paginatedSchema,
  paginationQuery,
  withPageLinks,
} from "../../src/lib/pagination";

export const PAGINATION_TEST_SECRET = "test-cursor-secret-0123456789abcdef";

const ErrorLogItem = z.object({
  id: z.number().int(),
  code: z.string(),
  occurredAt: z.string(),
});

export const ErrorLogPage = paginatedSchema(ErrorLogItem, "TestErrorLogPage", { offset: true });

const route = createRoute({
  method: "get",
  path: "/__test/error-logs",
  request: {
    query: paginationQuery.extend({
      code: z.string().optional(),
      order: z.enum(["asc", "desc"]).optional(),
    }),
  },
  responses: { 200: jsonContent(ErrorLogPage, "A page of error logs"), ...errorResponses() },
});

export function createPaginationTestApp() {
  const app = createApp();
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const request = pageRequest(query);
    const filter = query.code ? eq(errorLogs.code, query.code) : undefined;
    const columns = {
      id: errorLogs.id,
      code: errorLogs.code,
      occurredAt: sql<string>`${errorLogs.occurredAt}::text`,
    };
    // error_logs is readable by the runtime role only in an admin or system context.
    const page = await runAs(c.get("services").db, SYSTEM, async (tx) => {
      if (request.mode === "offset") {
        return offsetPage({
          ...request,
          count: async () => {
            const [row] = await tx.select({ n: count() }).from(errorLogs).where(filter);
            return row?.n ?? 0;
          },
          query: ({ limit, offset }) =>
            tx
              .select(columns)
              .from(errorLogs)
              .where(filter)
              .orderBy(sql`${errorLogs.occurredAt} desc`, sql`${errorLogs.id} desc`)
              .limit(limit)
              .offset(offset),
        });
      }
      return keysetPage({
        ...request,
        secret: PAGINATION_TEST_SECRET,
        scope: listScope("GET /__test/error-logs", { code: query.code, order: query.order }),
        order: { by: [errorLogs.occurredAt], id: errorLogs.id, direction: query.order ?? "desc" },
        query: ({ where, orderBy, limit, cursorKey }) =>
          tx
            .select({ ...columns, cursorKey })
            .from(errorLogs)
            .where(and(filter, where))
            .orderBy(...orderBy)
            .limit(limit),
      });
    });
    return c.json(withPageLinks(c, page), 200);
  });
  return app;
}
