/**
 * Helpers for the SLA, job and stats tests: moving a ticket's history in time with SQL (as
 * superuser, past tickets_guard, which keeps created_at), and the support jobs run as the
 * minutely cron runs them (the Worker's role, a real Outbox on the harness' queue).
 */
import { and, eq, like, sql } from "drizzle-orm";
import { dbFromConfig } from "../../src/db/client";
import { auditLogs, notifications, ticketEvents, tickets } from "../../src/db/schema";
import { autoCloseSolved, markSlaBreaches } from "../../src/domains/tickets/service/jobs";
import { loadConfig } from "../../src/env";
import { type NotificationJob, Outbox } from "../../src/lib/notifications/outbox";
import type { Harness } from "../support/harness";

/** Sets the ticket's created_at and its `created` event's time to `at`. */
export async function backdate(h: Harness, ticketId: string, at: Date) {
  await h.db.transaction(async (tx) => {
    // tickets_guard refuses any change of created_at: a fixture, so no triggers here.
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.update(tickets).set({ createdAt: at }).where(eq(tickets.id, ticketId));
    await tx
      .update(ticketEvents)
      .set({ createdAt: at })
      .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.kind, "created")));
  });
}

/** Sets the time of the ticket's status_changed event to `status` (the only one) to `at`. */
export async function moveStatusEvent(h: Harness, ticketId: string, status: string, at: Date) {
  const rows = await h.db
    .update(ticketEvents)
    .set({ createdAt: at })
    .where(
      and(
        eq(ticketEvents.ticketId, ticketId),
        eq(ticketEvents.kind, "status_changed"),
        sql`${ticketEvents.data}->>'to' = ${status}`,
      ),
    )
    .returning({ id: ticketEvents.id });
  if (rows.length !== 1) throw new Error(`expected one status_changed to ${status}`);
}

export async function ticketRow(h: Harness, id: string) {
  const [row] = await h.db.select().from(tickets).where(eq(tickets.id, id));
  if (!row) throw new Error(`no ticket ${id}`);
  return row;
}

export const eventsOf = (h: Harness, id: string, kind?: string) =>
  h.db
    .select()
    .from(ticketEvents)
    .where(and(eq(ticketEvents.ticketId, id), kind ? eq(ticketEvents.kind, kind) : undefined))
    .orderBy(ticketEvents.id);

export const slaNotices = (h: Harness, id: string) =>
  h.db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.template, "ticket_sla"),
        like(notifications.dedupeKey, `ticket_sla:${id}:%`),
      ),
    )
    .orderBy(notifications.createdAt);

export const auditOf = (h: Harness, id: string, action: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(
      and(
        eq(auditLogs.entityType, "ticket"),
        eq(auditLogs.entityId, id),
        eq(auditLogs.action, action),
      ),
    );

/** The support jobs with the minutely cron's wiring, on this harness' database and queue. */
export function jobs(h: Harness) {
  const loaded = loadConfig(h.env);
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.issues.join("; ")}`);
  const config = loaded.config;
  const handle = dbFromConfig(config);
  const deps = () => ({
    outbox: new Outbox({
      secret: config.JWT_SECRET,
      queue: h.queue as unknown as Queue<NotificationJob>,
    }),
    config,
  });
  return {
    markSlaBreaches: (now?: Date) => markSlaBreaches(handle.db, deps(), now),
    autoCloseSolved: (now?: Date) => autoCloseSolved(handle.db, deps(), now),
    close: () => handle.close(),
  };
}

/** `YYYY-MM-DDTHH:MM` in IST as an instant. */
export const ist = (local: string) => new Date(`${local}:00+05:30`);
