import { sql } from "drizzle-orm";
import { ticketCategories, ticketPriorities } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { TicketStats, TicketStatsQuery } from "../schemas";

const DAY_MS = 86_400_000;
const UNSOLVED = sql`status in ('open', 'pending', 'on_hold')`;

type Clock = "first_response" | "resolution";

/**
 * `GET /v1/admin/tickets/stats`: the open workload by priority and category; unsolved tickets
 * at risk or in breach (per clock, soonest deadline first); and over [from, to): tickets
 * created, the median wall-clock minutes to the first public reply (tickets created in the
 * range) and to solved (tickets solved in the range). Four statements in parallel, each one
 * HTTP round trip.
 */
export async function ticketStats(
  ctx: ServiceContext,
  input: TicketStatsQuery,
): Promise<TicketStats> {
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to)
    throw validationFailed([{ path: "to", message: "`to` must be later than `from`." }]);
  return runAs(ctx.http, ctx.actor, async (db) => {
    const [open, clocks, created, medians] = await Promise.all([
      db.execute<{ priority: string; category: string; n: number }>(sql`
        select priority, category, count(*)::int as n from tickets
         where ${UNSOLVED} group by priority, category`),
      db.execute<{
        id: string;
        number: string;
        subject: string;
        priority: (typeof ticketPriorities)[number];
        target: Clock;
        state: "at_risk" | "breached";
        due_at: string | null;
      }>(sql`
        select * from (
          select id, number, subject, priority, 'first_response' as target,
                 case when first_response_sla = 'breached' or first_response_due_at <= now()
                      then 'breached' else 'at_risk' end as state,
                 first_response_due_at as due_at
            from tickets
           where ${UNSOLVED} and first_responded_at is null
             and (first_response_sla <> 'ok' or first_response_at_risk_at <= now())
          union all
          select id, number, subject, priority, 'resolution',
                 case when resolution_sla = 'breached' or resolution_due_at <= now()
                      then 'breached' else 'at_risk' end,
                 resolution_due_at
            from tickets
           where ${UNSOLVED}
             and (resolution_sla <> 'ok' or resolution_at_risk_at <= now())
        ) c
        order by due_at asc nulls last, number`),
      db.execute<{ n: number }>(sql`
        select count(*)::int as n from tickets
         where created_at >= ${from.toISOString()}::timestamptz and created_at < ${to.toISOString()}::timestamptz`),
      db.execute<{ first_response: number | null; resolution: number | null }>(sql`
        select
          (select percentile_cont(0.5) within group (
                    order by extract(epoch from first_responded_at - created_at) / 60)
             from tickets
            where first_responded_at is not null
              and created_at >= ${from.toISOString()}::timestamptz and created_at < ${to.toISOString()}::timestamptz
          ) as first_response,
          (select percentile_cont(0.5) within group (
                    order by extract(epoch from solved_at - created_at) / 60)
             from tickets
            where solved_at is not null
              and solved_at >= ${from.toISOString()}::timestamptz and solved_at < ${to.toISOString()}::timestamptz
          ) as resolution`),
    ]);
    const byPriority = Object.fromEntries(ticketPriorities.map((p) => [p, 0])) as Record<
      (typeof ticketPriorities)[number],
      number
    >;
    const byCategory = Object.fromEntries(ticketCategories.map((c) => [c, 0])) as Record<
      (typeof ticketCategories)[number],
      number
    >;
    let total = 0;
    for (const r of open.rows) {
      const n = Number(r.n);
      total += n;
      byPriority[r.priority as keyof typeof byPriority] += n;
      byCategory[r.category as keyof typeof byCategory] += n;
    }
    const rows = clocks.rows;
    const m = medians.rows[0];
    const round = (v: number | string | null | undefined) =>
      v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;
    return {
      open: { total, byPriority, byCategory },
      sla: {
        atRisk: new Set(rows.filter((r) => r.state === "at_risk").map((r) => r.id)).size,
        breached: new Set(rows.filter((r) => r.state === "breached").map((r) => r.id)).size,
        tickets: rows.slice(0, 50).map((r) => ({
          id: r.id,
          number: r.number,
          subject: r.subject,
          priority: r.priority,
          state: r.state,
          target: r.target,
          dueAt: r.due_at === null ? null : new Date(r.due_at).toISOString(),
        })),
      },
      range: {
        from: from.toISOString(),
        to: to.toISOString(),
        created: Number(created.rows[0]?.n ?? 0),
        medianFirstResponseMinutes: round(m?.first_response),
        medianResolutionMinutes: round(m?.resolution),
      },
    };
  });
}
