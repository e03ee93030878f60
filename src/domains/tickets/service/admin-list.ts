import { and, eq, isNull, not, or, type SQL, sql } from "drizzle-orm";
import { ticketMessages, tickets } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { AdminTicketListQuery } from "../schemas";
import { rowToAdminSummary, selectWithPeople } from "./admin";

/** Missed a deadline: recorded by the job or a late reply, or a live due time already past. */
export const breachedNow = sql`(${tickets.firstResponseSla} = 'breached'
  or ${tickets.resolutionSla} = 'breached'
  or coalesce(${tickets.firstResponseDueAt} <= now() and ${tickets.firstRespondedAt} is null, false)
  or coalesce(${tickets.resolutionDueAt} <= now(), false))`;

/** Words in the subject or in any message or note (the GIN indexes of both). */
function search(q: string): SQL {
  const query = sql`websearch_to_tsquery('english', ${q})`;
  return or(
    sql`${tickets.search} @@ ${query}`,
    sql`exists (select 1 from ${ticketMessages} m where m.ticket_id = ${tickets.id} and m.search @@ ${query})`,
  ) as SQL;
}

/** `GET /v1/admin/tickets`: newest first, filtered; keyset pages. */
export async function listTickets(ctx: ServiceContext, input: AdminTicketListQuery) {
  const q = input.q?.trim() || undefined;
  const filter = and(
    input.status ? eq(tickets.status, input.status) : undefined,
    input.priority ? eq(tickets.priority, input.priority) : undefined,
    input.category ? eq(tickets.category, input.category) : undefined,
    input.assignee === "none"
      ? isNull(tickets.assigneeId)
      : input.assignee
        ? eq(tickets.assigneeId, input.assignee)
        : undefined,
    input.breached === undefined ? undefined : input.breached ? breachedNow : not(breachedNow),
    q ? search(q) : undefined,
  );
  const page = await runAs(ctx.http, ctx.actor, (db) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/tickets", {
        status: input.status,
        priority: input.priority,
        category: input.category,
        assignee: input.assignee,
        breached: input.breached === undefined ? undefined : String(input.breached),
        q,
      }),
      order: { by: [tickets.createdAt], id: tickets.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        selectWithPeople(db, { cursorKey })
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map(rowToAdminSummary) };
}
