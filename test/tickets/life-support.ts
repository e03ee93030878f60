/**
 * Helpers for the ticket lifecycle and privacy tests: putting a ticket in a state through the
 * admin API, student calls, and superuser reads of its rows (events, audit, messages, outbox).
 */
import { and, asc, eq } from "drizzle-orm";
import { expect } from "vitest";
import {
  auditLogs,
  notifications,
  type TicketStatus,
  ticketEvents,
  ticketMessages,
  tickets,
} from "../../src/db/schema";
import type { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { type AdminTicket, patchTicket, type StudentTicket } from "./support";

export const STATUSES: TicketStatus[] = ["open", "pending", "on_hold", "solved", "closed"];

/** A problem+json body's members that the tests read (`status` left out: it clashes). */
export interface Problem {
  code: string;
  detail: string;
  currentStatus?: string;
  allowedNextStatuses?: string[];
  suggestion?: string;
  rated?: boolean;
  errors?: { path: string; message: string }[];
}

/** The PATCHes that take an `open` ticket to `status` along the lifecycle. */
const PATH_TO: Record<TicketStatus, TicketStatus[]> = {
  open: [],
  pending: ["pending"],
  on_hold: ["on_hold"],
  solved: ["solved"],
  closed: ["solved", "closed"],
};

/** Moves a freshly opened ticket to `status` by legal admin PATCHes. */
export async function bringTo(h: Harness, admin: TestUser, ticketId: string, status: TicketStatus) {
  for (const step of PATH_TO[status]) {
    const res = await patchTicket(h, admin, ticketId, { status: step });
    expect(res.status, res.text).toBe(200);
  }
  expect((await ticketRow(h, ticketId))?.status).toBe(status);
}

export async function ticketRow(h: Harness, id: string) {
  const [row] = await h.db.select().from(tickets).where(eq(tickets.id, id));
  return row;
}

export const eventsOf = (h: Harness, ticketId: string) =>
  h.db
    .select()
    .from(ticketEvents)
    .where(eq(ticketEvents.ticketId, ticketId))
    .orderBy(asc(ticketEvents.id));

export const auditsOf = (h: Harness, ticketId: string, action?: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(
      and(
        eq(auditLogs.entityType, "ticket"),
        eq(auditLogs.entityId, ticketId),
        action ? eq(auditLogs.action, action) : undefined,
      ),
    )
    .orderBy(asc(auditLogs.occurredAt), asc(auditLogs.id));

export const messagesOf = (h: Harness, ticketId: string) =>
  h.db
    .select()
    .from(ticketMessages)
    .where(eq(ticketMessages.ticketId, ticketId))
    .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id));

/** Outbox rows to one address (each test's student has an address of its own). */
export const outboxTo = (h: Harness, to: string) =>
  h.db
    .select()
    .from(notifications)
    .where(eq(notifications.toAddress, to))
    .orderBy(asc(notifications.createdAt), asc(notifications.id));

export function studentReply(h: Harness, student: TestUser, ticketId: string, body: string) {
  return h.post<unknown, StudentTicket & Problem>(
    `/v1/tickets/${ticketId}/replies`,
    { body },
    { headers: student.auth },
  );
}

export function studentClose(h: Harness, student: TestUser, ticketId: string) {
  return h.post<unknown, StudentTicket & Problem>(`/v1/tickets/${ticketId}/close`, undefined, {
    headers: student.auth,
  });
}

export function rate(
  h: Harness,
  student: TestUser,
  ticketId: string,
  body: { score: number; comment?: string },
) {
  return h.post<unknown, StudentTicket & Problem>(`/v1/tickets/${ticketId}/rating`, body, {
    headers: student.auth,
  });
}

/** `POST /v1/admin/tickets/{id}/replies` without asserting its status. */
export function adminReplyRaw(
  h: Harness,
  admin: TestUser,
  ticketId: string,
  body: { body: string; internal?: boolean; status?: string },
) {
  return h.post<unknown, AdminTicket & Problem>(`/v1/admin/tickets/${ticketId}/replies`, body, {
    headers: admin.auth,
  });
}

/** Moves `solved_at` back by `days` (the ticket must be solved). */
export async function solvedDaysAgo(h: Harness, ticketId: string, days: number) {
  await h.db
    .update(tickets)
    .set({ solvedAt: new Date(Date.now() - days * 24 * 60 * 60 * 1000) })
    .where(eq(tickets.id, ticketId));
}
