import { and, asc, eq, sql } from "drizzle-orm";
import type { HttpDatabase } from "../../../db/client";
import {
  type Ticket,
  type TicketAttachment,
  ticketAttachments,
  ticketEvents,
  ticketMessages,
  tickets,
  users,
} from "../../../db/schema";
import { type Reader, runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import type { AttachmentView, StudentTicket, TicketSummary } from "../schemas";
import { withinReopenWindow } from "./lifecycle";

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const ticketNotFound = () => notFound("The ticket was not found.");

export function toSummary(t: Ticket): TicketSummary {
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    category: t.category,
    priority: t.priority,
    status: t.status,
    enrolmentId: t.enrolmentId,
    paymentId: t.paymentId,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    lastActivityAt: t.lastActivityAt.toISOString(),
    solvedAt: iso(t.solvedAt),
    closedAt: iso(t.closedAt),
  };
}

export const toRating = (t: Ticket) =>
  t.rating !== null && t.ratedAt
    ? { score: t.rating, comment: t.ratingComment, ratedAt: t.ratedAt.toISOString() }
    : null;

export const attachmentUrl = (id: string) => `/v1/attachments/${id}`;

export function toAttachment(a: TicketAttachment, ownerId: string): AttachmentView {
  return {
    id: a.id,
    fileName: a.fileName,
    contentType: a.contentType,
    sizeBytes: a.sizeBytes,
    uploadedBy: a.uploadedBy === ownerId ? "student" : "support",
    createdAt: a.createdAt.toISOString(),
    url: attachmentUrl(a.id),
  };
}

/** The ticket row locked for a change (RLS: a student's own, any for admins), else 404. */
export async function lockTicket(tx: Transaction, id: string): Promise<Ticket> {
  const [row] = await tx.select().from(tickets).where(eq(tickets.id, id)).for("update");
  if (!row) throw ticketNotFound();
  return row;
}

/** Whether the student may still reply (closed, or solved 7 days ago or more: no). */
export const canReply = (t: Ticket, now: Date) =>
  t.status !== "closed" && (t.status !== "solved" || withinReopenWindow(t.solvedAt, now));

export const canRate = (t: Ticket) =>
  t.rating === null && t.solvedAt !== null && (t.status === "solved" || t.status === "closed");

/**
 * The first names of the admins who wrote public replies on a ticket, by user id. A student's
 * context reads only their own `users` row (RLS), so these are read as `system`, and only for
 * the ticket's public support messages: call it once the caller is known to see the ticket.
 */
export async function supportFirstNames(
  http: HttpDatabase,
  ticketId: string,
): Promise<ReadonlyMap<string, string | null>> {
  const rows = await runAs(http, SYSTEM, (db) =>
    db
      .selectDistinct({ id: users.id, name: users.fullName })
      .from(ticketMessages)
      .innerJoin(users, eq(users.id, ticketMessages.authorId))
      .where(
        and(
          eq(ticketMessages.ticketId, ticketId),
          eq(ticketMessages.internal, false),
          eq(ticketMessages.authorRole, "admin"),
        ),
      ),
  );
  return new Map(rows.map((r) => [r.id, firstName(r.name)]));
}

/**
 * The student's view of their ticket: public messages only (also filtered here, not only by
 * the policy that hides notes), attachments, and the public kinds of timeline event.
 * `supportNames` (supportFirstNames) names who answered: the student's own context cannot.
 */
export async function studentView(
  db: Reader,
  ticket: Ticket,
  now: Date,
  supportNames: ReadonlyMap<string, string | null> = new Map(),
): Promise<StudentTicket> {
  const [messages, attachments, events] = await Promise.all([
    db
      .select({
        id: ticketMessages.id,
        authorId: ticketMessages.authorId,
        authorRole: ticketMessages.authorRole,
        bodyHtml: ticketMessages.bodyHtml,
        createdAt: ticketMessages.createdAt,
        authorName: users.fullName,
      })
      .from(ticketMessages)
      .leftJoin(users, eq(users.id, ticketMessages.authorId))
      .where(and(eq(ticketMessages.ticketId, ticket.id), eq(ticketMessages.internal, false)))
      .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id)),
    db
      .select()
      .from(ticketAttachments)
      .where(eq(ticketAttachments.ticketId, ticket.id))
      .orderBy(asc(ticketAttachments.createdAt), asc(ticketAttachments.id)),
    db
      .select({ kind: ticketEvents.kind, data: ticketEvents.data, at: ticketEvents.createdAt })
      .from(ticketEvents)
      .where(
        and(
          eq(ticketEvents.ticketId, ticket.id),
          sql`ticket_event_is_public(${ticketEvents.kind})`,
        ),
      )
      .orderBy(asc(ticketEvents.createdAt), asc(ticketEvents.id)),
  ]);
  return {
    ...toSummary(ticket),
    messages: messages.map((m) => ({
      id: m.id,
      author: m.authorRole === "student" ? "student" : "support",
      // A student sees the first name of whoever answered, not their account.
      authorName:
        m.authorRole === "student"
          ? (m.authorName ?? null)
          : (supportNames.get(m.authorId ?? "") ?? firstName(m.authorName)),
      bodyHtml: m.bodyHtml,
      createdAt: m.createdAt.toISOString(),
    })),
    attachments: attachments.map((a) => toAttachment(a, ticket.studentId)),
    timeline: events.map((e) => ({
      kind: e.kind,
      at: e.at.toISOString(),
      ...(e.kind === "status_changed" ? { from: String(e.data.from), to: String(e.data.to) } : {}),
    })),
    rating: toRating(ticket),
    canReply: canReply(ticket, now),
    canRate: canRate(ticket),
  };
}

const firstName = (full: string | null) => full?.trim().split(/\s+/)[0] ?? null;
