import { eq } from "drizzle-orm";
import {
  type Ticket,
  type TicketPriorityValue,
  type TicketStatus,
  ticketEvents,
  tickets,
} from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import type { AppConfig } from "../../../env";
import { loadTimeline, slaColumns } from "./sla";

export interface TicketChange {
  status?: TicketStatus;
  priority?: TicketPriorityValue;
  assigneeId?: string | null;
  /** A public reply from support now (the first one stops the first-response clock). */
  supportReplied?: boolean;
  /** Why the status moved, when not an admin's choice: student_reply, student_closed, auto. */
  reason?: string;
}

export interface ChangeResult {
  ticket: Ticket;
  /** The status_changed event, when the status moved (names its notification). */
  statusEventId: number | null;
  /** What changed, for the audit row: column → [before, after]. */
  changed: Record<string, [unknown, unknown]>;
}

/**
 * Applies a change to a locked ticket in `tx`: status (with solved_at / closed_at), priority,
 * assignee, first response; one timeline event per kind of change; then the SLA deadlines
 * again from the timeline whenever a clock moved. A first reply after its deadline records the
 * breach at once (the job may not have run yet). Only admins' changes move an at-risk mark
 * back to ok (a student may not write the SLA marks, migration 0033).
 */
export async function applyChange(
  tx: Transaction,
  deps: {
    config: Pick<AppConfig, "SUPPORT_SLA_TARGETS" | "SUPPORT_HOLIDAYS">;
    actorId: string | null;
    admin: boolean;
  },
  ticket: Ticket,
  change: TicketChange,
  now: Date,
): Promise<ChangeResult> {
  const patch: Partial<typeof tickets.$inferInsert> = { lastActivityAt: now, updatedAt: now };
  const changed: Record<string, [unknown, unknown]> = {};
  const events: { kind: string; data: Record<string, unknown> }[] = [];
  let clocksMoved = false;

  const status = change.status ?? ticket.status;
  if (status !== ticket.status) {
    patch.status = status;
    changed.status = [ticket.status, status];
    if (status === "solved") patch.solvedAt = now;
    // A reopened ticket is not solved (a rating given before stays: migration 0034).
    if (status === "open" && ticket.status === "solved") patch.solvedAt = null;
    if (status === "closed") patch.closedAt = now;
    clocksMoved = true;
  }
  const priority = change.priority ?? ticket.priority;
  if (priority !== ticket.priority) {
    patch.priority = priority;
    changed.priority = [ticket.priority, priority];
    events.push({ kind: "priority_changed", data: { from: ticket.priority, to: priority } });
    clocksMoved = true;
  }
  if (change.assigneeId !== undefined && change.assigneeId !== ticket.assigneeId) {
    patch.assigneeId = change.assigneeId;
    changed.assigneeId = [ticket.assigneeId, change.assigneeId];
    events.push({
      kind: "assignee_changed",
      data: { from: ticket.assigneeId, to: change.assigneeId },
    });
  }
  let firstRespondedAt = ticket.firstRespondedAt;
  if (change.supportReplied && !firstRespondedAt) {
    firstRespondedAt = now;
    patch.firstRespondedAt = now;
    clocksMoved = true;
    const due = ticket.firstResponseDueAt;
    if (due && now >= due && ticket.firstResponseSla !== "breached") {
      patch.firstResponseSla = "breached";
      changed.firstResponseSla = [ticket.firstResponseSla, "breached"];
      events.push({
        kind: "sla_breached",
        data: { target: "first_response", dueAt: due.toISOString(), late: true },
      });
    }
  }

  let statusEventId: number | null = null;
  if (patch.status) {
    const [row] = await tx
      .insert(ticketEvents)
      .values({
        ticketId: ticket.id,
        kind: "status_changed",
        actorId: deps.actorId,
        data: {
          from: ticket.status,
          to: status,
          ...(change.reason ? { reason: change.reason } : {}),
        },
        createdAt: now,
      })
      .returning({ id: ticketEvents.id });
    statusEventId = row?.id ?? null;
  }
  if (events.length > 0) {
    await tx
      .insert(ticketEvents)
      .values(
        events.map((e) => ({ ...e, ticketId: ticket.id, actorId: deps.actorId, createdAt: now })),
      );
  }

  if (clocksMoved) {
    const timeline = await loadTimeline(tx, ticket.id);
    const clocks = slaColumns(
      deps.config,
      { createdAt: ticket.createdAt, priority, firstRespondedAt },
      timeline,
    );
    Object.assign(patch, clocks);
    if (deps.admin) {
      // A later deadline on a running clock (a lower priority) takes back an at-risk mark; a
      // paused or stopped clock keeps it (else every pause and resume would alert again), and
      // a breach always stays.
      const backToOk = (due: Date | null, risk: Date | null) =>
        due !== null && (risk === null || risk > now);
      if (
        ticket.firstResponseSla === "at_risk" &&
        backToOk(clocks.firstResponseDueAt, clocks.firstResponseAtRiskAt)
      ) {
        patch.firstResponseSla = "ok";
      }
      if (
        ticket.resolutionSla === "at_risk" &&
        backToOk(clocks.resolutionDueAt, clocks.resolutionAtRiskAt)
      ) {
        patch.resolutionSla = "ok";
      }
    }
  }

  const [updated] = await tx
    .update(tickets)
    .set(patch)
    .where(eq(tickets.id, ticket.id))
    .returning();
  if (!updated) throw new Error("ticket update returned nothing");
  return { ticket: updated, statusEventId, changed };
}
