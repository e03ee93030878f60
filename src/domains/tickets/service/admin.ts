import { asc, eq, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  type Ticket,
  ticketAttachments,
  ticketEvents,
  ticketMessages,
  tickets,
  users,
} from "../../../db/schema";
import { type Reader, runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { validationFailed } from "../../../lib/errors";
import { richTextToPlain } from "../../../lib/sanitize";
import type { ServiceContext } from "../../../lib/service-context";
import { assertAssignableAdmin } from "../../admin/public";
import type { AdminReplyBody, AdminTicket, AdminTicketSummary, UpdateTicketBody } from "../schemas";
import { applyChange } from "./change";
import { ADMIN_NEXT, assertAdminMove } from "./lifecycle";
import { notifyReply, notifyStatus } from "./notify";
import { loadTimeline, slaView } from "./sla";
import { ticketClosed } from "./student";
import { lockTicket, ticketNotFound, toAttachment, toRating, toSummary } from "./views";

const deps = (ctx: ServiceContext) => ({
  config: ctx.config,
  actorId: ctx.actor.userId,
  admin: true,
});

type Person = { id: string; name: string; email: string } | null;

export function toAdminSummary(t: Ticket, student: Person, assignee: Person): AdminTicketSummary {
  return {
    ...toSummary(t),
    student,
    assignee,
    firstRespondedAt: t.firstRespondedAt?.toISOString() ?? null,
    firstResponseDueAt: t.firstResponseDueAt?.toISOString() ?? null,
    resolutionDueAt: t.resolutionDueAt?.toISOString() ?? null,
    firstResponseSla: t.firstResponseSla,
    resolutionSla: t.resolutionSla,
    rating: toRating(t),
  };
}

const studentUser = alias(users, "student_user");
const assigneeUser = alias(users, "assignee_user");
const person = (u: typeof users) => ({ id: u.id, name: u.fullName, email: u.email });

/** Ticket rows with their student and assignee, for the admin list and detail. */
export const selectWithPeople = <E extends Record<string, SQL<unknown>>>(db: Reader, extra?: E) =>
  db
    .select({
      ...(extra as E),
      ticket: tickets,
      student: person(studentUser as unknown as typeof users),
      assignee: person(assigneeUser as unknown as typeof users),
    })
    .from(tickets)
    .leftJoin(studentUser, eq(studentUser.id, tickets.studentId))
    .leftJoin(assigneeUser, eq(assigneeUser.id, tickets.assigneeId));

const orNull = (
  p: { id: string | null; name: string | null; email: string | null } | null,
): Person =>
  p?.id && p.name !== null && p.email !== null ? { id: p.id, name: p.name, email: p.email } : null;

export const rowToAdminSummary = (r: {
  ticket: Ticket;
  student: { id: string | null; name: string | null; email: string | null } | null;
  assignee: { id: string | null; name: string | null; email: string | null } | null;
}) => toAdminSummary(r.ticket, orNull(r.student), orNull(r.assignee));

type SlaConfig = Pick<ServiceContext["config"], "SUPPORT_SLA_TARGETS" | "SUPPORT_HOLIDAYS">;

/** The whole ticket for support: every message and note, every event, both SLA clocks. */
export async function adminView(
  db: Reader,
  config: SlaConfig,
  id: string,
  now: Date,
): Promise<AdminTicket> {
  const [row] = await selectWithPeople(db).where(eq(tickets.id, id));
  if (!row) throw ticketNotFound();
  const t = row.ticket;
  const [messages, attachments, events, timeline] = await Promise.all([
    db
      .select({ m: ticketMessages, authorName: users.fullName })
      .from(ticketMessages)
      .leftJoin(users, eq(users.id, ticketMessages.authorId))
      .where(eq(ticketMessages.ticketId, id))
      .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id)),
    db
      .select()
      .from(ticketAttachments)
      .where(eq(ticketAttachments.ticketId, id))
      .orderBy(asc(ticketAttachments.createdAt), asc(ticketAttachments.id)),
    db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, id))
      .orderBy(asc(ticketEvents.createdAt), asc(ticketEvents.id)),
    loadTimeline(db, id),
  ]);
  return {
    ...rowToAdminSummary(row),
    messages: messages.map(({ m, authorName }) => ({
      id: m.id,
      author: m.authorRole === "student" ? "student" : "support",
      authorName: authorName ?? null,
      authorId: m.authorId,
      internal: m.internal,
      bodyHtml: m.bodyHtml,
      bodyText: m.bodyText,
      createdAt: m.createdAt.toISOString(),
    })),
    attachments: attachments.map((a) => toAttachment(a, t.studentId)),
    timeline: events.map((e) => ({
      kind: e.kind,
      at: e.createdAt.toISOString(),
      actorId: e.actorId,
      data: e.data,
    })),
    sla: slaView(config, t, timeline, now),
    allowedNextStatuses: [...ADMIN_NEXT[t.status]],
  };
}

/** `GET /v1/admin/tickets/{id}`. */
export const getTicketForAdmin = (ctx: ServiceContext, id: string) =>
  runAs(ctx.http, ctx.actor, (db) => adminView(db, ctx.config, id, new Date()));

/**
 * `PATCH /v1/admin/tickets/{id}`: status (along the lifecycle, else 409 with the allowed next
 * states), priority (the SLA deadlines follow) and assignee. The current value again is no
 * change. The student hears of a status change by email.
 */
export async function updateTicket(
  ctx: ServiceContext,
  id: string,
  input: UpdateTicketBody,
): Promise<AdminTicket> {
  if (
    input.status === undefined &&
    input.priority === undefined &&
    input.assigneeId === undefined
  ) {
    throw validationFailed([
      { path: "status", message: "Give a status, a priority or an assigneeId" },
    ]);
  }
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const ticket = await lockTicket(tx, id);
    const now = new Date();
    if (input.status !== undefined && input.status !== ticket.status) {
      assertAdminMove(ticket.status, input.status);
    }
    if (input.assigneeId && input.assigneeId !== ticket.assigneeId) {
      await assertAssignableAdmin(tx, input.assigneeId, "ticket");
    }
    const {
      ticket: updated,
      changed,
      statusEventId,
    } = await applyChange(
      tx,
      deps(ctx),
      ticket,
      { status: input.status, priority: input.priority, assigneeId: input.assigneeId },
      now,
    );
    if (Object.keys(changed).length > 0) {
      await recordAudit(tx, ctx.audit, {
        action: "ticket.updated",
        entityType: "ticket",
        entityId: id,
        before: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v[0]])),
        after: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v[1]])),
      });
    }
    if (statusEventId !== null) {
      await notifyStatus(tx, ctx, updated, updated.status, statusEventId);
    }
    return adminView(tx, ctx.config, id, now);
  });
}

/**
 * `POST /v1/admin/tickets/{id}/replies`: a public reply (emailed to the student; the first one
 * stops the first-response clock) or an internal note (`internal: true`: admins only, sent to
 * nobody). `status` moves the ticket in the same step. A closed ticket takes notes only.
 */
export async function replyAsAdmin(
  ctx: ServiceContext,
  id: string,
  input: AdminReplyBody,
): Promise<AdminTicket> {
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const ticket = await lockTicket(tx, id);
    const now = new Date();
    if (ticket.status === "closed" && !input.internal) {
      throw ticketClosed(
        "This ticket is closed: add an internal note, or ask the student to open a new ticket.",
      );
    }
    if (input.status !== undefined && input.status !== ticket.status) {
      assertAdminMove(ticket.status, input.status);
    }
    const bodyText = richTextToPlain(input.body);
    const [message] = await tx
      .insert(ticketMessages)
      .values({
        ticketId: id,
        authorId: ctx.actor.userId,
        authorRole: "admin",
        internal: input.internal,
        bodyHtml: input.body,
        bodyText,
        createdAt: now,
      })
      .returning({ id: ticketMessages.id });
    if (!message) throw new Error("message insert returned nothing");
    await tx.insert(ticketEvents).values({
      ticketId: id,
      kind: input.internal ? "note_added" : "replied",
      actorId: ctx.actor.userId,
      data: { messageId: message.id, author: "support" },
      createdAt: now,
    });
    const {
      ticket: updated,
      changed,
      statusEventId,
    } = await applyChange(
      tx,
      deps(ctx),
      ticket,
      { status: input.status, supportReplied: !input.internal },
      now,
    );
    await recordAudit(tx, ctx.audit, {
      action: input.internal ? "ticket.note_added" : "ticket.replied",
      entityType: "ticket",
      entityId: id,
      before: changed.status ? { status: changed.status[0] } : null,
      after: { messageId: message.id, ...(changed.status ? { status: changed.status[1] } : {}) },
    });
    if (!input.internal) {
      // One email per reply; a status moved with it shows on the page the email links to.
      await notifyReply(tx, ctx, updated, { id: message.id, bodyText });
    } else if (statusEventId !== null) {
      await notifyStatus(tx, ctx, updated, updated.status, statusEventId);
    }
    const view = await adminView(tx, ctx.config, id, now);
    await ctx.idempotency?.complete(tx, { status: 201, body: view });
    return view;
  });
}
