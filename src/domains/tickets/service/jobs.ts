/**
 * The support jobs, run every minute as `system` (src/jobs/minutely.ts):
 *
 * - SLA marks: a ticket whose at-risk or due instant has come moves ok → at_risk → breached on
 *   that clock, once (a conditional update on the mark it read), with a timeline event, an
 *   audit row and an email to the assignee, or to every active admin when nobody holds it.
 *   The deadlines were computed in business time when the ticket last changed, so a run is
 *   an indexed comparison with now, no calendar arithmetic.
 * - Auto-close: a ticket solved 7 days ago closes, and the student is told.
 */
import { and, eq, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { type SlaStateValue, type Ticket, ticketEvents, tickets } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import type { AppConfig } from "../../../env";
import { JOB_AUDIT, recordAudit } from "../../../lib/audit";
import type { Outbox } from "../../../lib/notifications/outbox";
import { REOPEN_WINDOW_MS } from "./lifecycle";
import { adminTicketLink, notifyStatus, slaRecipients } from "./notify";

const BATCH = 200;
const MAX_BATCHES = 10;
const RANK: Record<SlaStateValue, number> = { ok: 0, at_risk: 1, breached: 2 };

type Deps = {
  outbox: Outbox;
  config: Pick<AppConfig, "APP_BASE_URL">;
  warn?: (message: string, fields: Record<string, unknown>) => void;
};

type ClockName = "first_response" | "resolution";

function clocksDue(t: Ticket, now: Date) {
  const out: { target: ClockName; from: SlaStateValue; to: SlaStateValue; dueAt: Date }[] = [];
  const check = (
    target: ClockName,
    mark: SlaStateValue,
    risk: Date | null,
    due: Date | null,
    running: boolean,
  ) => {
    if (!running || !risk || !due) return;
    const to: SlaStateValue = now >= due ? "breached" : now >= risk ? "at_risk" : "ok";
    if (RANK[to] > RANK[mark]) out.push({ target, from: mark, to, dueAt: due });
  };
  check(
    "first_response",
    t.firstResponseSla,
    t.firstResponseAtRiskAt,
    t.firstResponseDueAt,
    t.firstRespondedAt === null,
  );
  check("resolution", t.resolutionSla, t.resolutionAtRiskAt, t.resolutionDueAt, true);
  return out;
}

/** Marks tickets at risk or breached; returns how many marks were recorded. */
export async function markSlaBreaches(db: Database, deps: Deps, now = new Date()): Promise<number> {
  const at = sql`${now.toISOString()}::timestamptz`;
  // Only tickets with a mark to make: one already at risk whose due time is still ahead would
  // otherwise match every run and, 200 of them, fill the batch so no other ticket is marked.
  // Clocks with a mark to make (a stopped clock with time left has no instants; one used up
  // before it stopped keeps its past due time, so a late pause or solve is still recorded).
  const candidates = (afterId: string | null) =>
    runAs(db, SYSTEM, (tx) =>
      tx
        .select()
        .from(tickets)
        .where(
          sql`${afterId === null ? sql`true` : sql`${tickets.id} > ${afterId}`}
           and ((${tickets.firstRespondedAt} is null
                 and ((${tickets.firstResponseAtRiskAt} <= ${at} and ${tickets.firstResponseSla} = 'ok')
                   or (${tickets.firstResponseDueAt} <= ${at} and ${tickets.firstResponseSla} <> 'breached')))
             or (${tickets.resolutionAtRiskAt} <= ${at} and ${tickets.resolutionSla} = 'ok')
             or (${tickets.resolutionDueAt} <= ${at} and ${tickets.resolutionSla} <> 'breached'))`,
        )
        .orderBy(tickets.id)
        .limit(BATCH),
    );
  let marked = 0;
  // By id, batch after batch, so a ticket that cannot be marked (it fails below) never holds
  // back the others; at most MAX_BATCHES batches a run, the rest next minute.
  let afterId: string | null = null;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const due = await candidates(afterId);
    for (const candidate of due) marked += await markTicket(db, deps, candidate, now);
    if (due.length < BATCH) break;
    afterId = due[due.length - 1]?.id ?? null;
  }
  return marked;
}

/** Records the marks one ticket is due, each in its own transaction; a failure is logged. */
async function markTicket(db: Database, deps: Deps, candidate: Ticket, now: Date) {
  let marked = 0;
  for (const clock of clocksDue(candidate, now)) {
    try {
      const done = await runAs(db, SYSTEM, async (tx) => {
        const first = clock.target === "first_response";
        const column = first ? tickets.firstResponseSla : tickets.resolutionSla;
        // The deadline read is still the ticket's (no reply or change since): else skip.
        const dueColumn = first ? tickets.firstResponseDueAt : tickets.resolutionDueAt;
        const [t] = await tx
          .update(tickets)
          .set(
            clock.target === "first_response"
              ? { firstResponseSla: clock.to }
              : { resolutionSla: clock.to },
          )
          .where(
            and(
              eq(tickets.id, candidate.id),
              eq(column, clock.from),
              eq(dueColumn, clock.dueAt),
              first ? isNull(tickets.firstRespondedAt) : undefined,
            ),
          )
          .returning();
        // Someone changed the ticket (a reply, another run) since it was read: next run decides.
        if (!t) return false;
        const data = { target: clock.target, dueAt: clock.dueAt.toISOString() };
        await tx.insert(ticketEvents).values({
          ticketId: t.id,
          kind: clock.to === "breached" ? "sla_breached" : "sla_at_risk",
          data,
          createdAt: now,
        });
        await recordAudit(tx, JOB_AUDIT, {
          action: clock.to === "breached" ? "ticket.sla_breached" : "ticket.sla_at_risk",
          entityType: "ticket",
          entityId: t.id,
          before: { [clock.target]: clock.from },
          after: { [clock.target]: clock.to, dueAt: data.dueAt },
        });
        const { assignee, to } = await slaRecipients(tx, t);
        for (const admin of to) {
          await deps.outbox.add(tx, {
            channel: "email",
            to: admin.email,
            template: "ticket_sla",
            variables: {
              name: admin.name,
              ticketNumber: t.number,
              subject: t.subject,
              state: clock.to === "breached" ? "breached" : "at_risk",
              target: clock.target,
              priority: t.priority,
              dueAt: data.dueAt,
              ...(assignee ? { assignee } : {}),
              link: adminTicketLink(deps.config, t),
            },
            transactional: true,
            dedupeKey: `ticket_sla:${t.id}:${clock.target}:${clock.to}:${data.dueAt}:${admin.id}`,
            userId: admin.id,
          });
        }
        return true;
      });
      if (done) marked++;
    } catch (err) {
      deps.warn?.("ticket SLA mark failed", {
        ticketId: candidate.id,
        error: err instanceof Error ? err.message.slice(0, 200) : "unknown",
      });
    }
  }
  return marked;
}

/**
 * Closes tickets solved 7 days ago or more, each in its own transaction (one that fails, e.g.
 * its notice cannot be queued, is logged and retried next run without holding back the rest);
 * returns how many closed.
 */
export async function autoCloseSolved(db: Database, deps: Deps, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - REOPEN_WINDOW_MS);
  const due = await runAs(db, SYSTEM, (tx) =>
    tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.status, "solved"), lte(tickets.solvedAt, cutoff)))
      .orderBy(tickets.solvedAt)
      .limit(BATCH),
  );
  let closed = 0;
  for (const { id } of due) {
    try {
      const done = await runAs(db, SYSTEM, async (tx) => {
        // Still solved 7 days ago (a reply may have reopened it since it was read).
        const [t] = await tx
          .update(tickets)
          .set({
            status: "closed",
            closedAt: now,
            updatedAt: now,
            lastActivityAt: now,
            resolutionDueAt: null,
            resolutionAtRiskAt: null,
            firstResponseDueAt: null,
            firstResponseAtRiskAt: null,
          })
          .where(
            and(eq(tickets.id, id), eq(tickets.status, "solved"), lte(tickets.solvedAt, cutoff)),
          )
          .returning();
        if (!t) return false;
        const [event] = await tx
          .insert(ticketEvents)
          .values({
            ticketId: t.id,
            kind: "status_changed",
            data: { from: "solved", to: "closed", reason: "auto" },
            createdAt: now,
          })
          .returning({ id: ticketEvents.id });
        await recordAudit(tx, JOB_AUDIT, {
          action: "ticket.auto_closed",
          entityType: "ticket",
          entityId: t.id,
          before: { status: "solved" },
          after: { status: "closed" },
        });
        if (event) await notifyStatus(tx, deps, t, "closed", event.id);
        return true;
      });
      if (done) closed++;
    } catch (err) {
      deps.warn?.("ticket auto-close failed", {
        ticketId: id,
        error: err instanceof Error ? err.message.slice(0, 200) : "unknown",
      });
    }
  }
  return closed;
}
