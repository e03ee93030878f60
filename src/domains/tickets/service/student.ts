import { and, eq } from "drizzle-orm";
import type { Ticket } from "../../../db/schema";
import { ticketEvents, ticketMessages, tickets } from "../../../db/schema";
import type { Reader } from "../../../db/transaction";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError } from "../../../lib/errors";
import type { KeysetQuery } from "../../../lib/pagination";
import { keysetPage, listScope } from "../../../lib/pagination";
import { richTextToPlain } from "../../../lib/sanitize";
import type { ServiceContext } from "../../../lib/service-context";
import type { RatingBody, StudentReplyBody, StudentTicket } from "../schemas";
import { applyChange } from "./change";
import {
  canRate,
  canReply,
  lockTicket,
  studentView,
  supportFirstNames,
  ticketNotFound,
  toSummary,
} from "./views";

/** The student's view with the first names of who answered (read once the ticket is theirs). */
const viewFor = async (ctx: ServiceContext, db: Reader, ticket: Ticket, now: Date) =>
  studentView(db, ticket, now, await supportFirstNames(ctx.http, ticket.id));

const deps = (ctx: ServiceContext) => ({
  config: ctx.config,
  actorId: ctx.actor.userId,
  admin: false,
});

export const ticketClosed = (detail: string) =>
  new AppError({
    code: "TICKET_CLOSED",
    detail,
    extensions: { suggestion: "Open a new ticket with POST /v1/tickets." },
  });

/** `GET /v1/me/tickets`: the student's tickets, newest first (RLS: their own only). */
export async function listMyTickets(ctx: ServiceContext, input: KeysetQuery) {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("listMyTickets needs a signed-in student");
  const page = await runAs(ctx.http, ctx.actor, (db) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/me/tickets", { userId }),
      order: { by: [tickets.createdAt], id: tickets.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        db
          .select({ ticket: tickets, cursorKey })
          .from(tickets)
          .where(and(eq(tickets.studentId, userId), where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map((r) => toSummary(r.ticket)) };
}

/** `GET /v1/tickets/{id}`: one of the student's own tickets; anyone else's is 404. */
export async function getMyTicket(ctx: ServiceContext, id: string): Promise<StudentTicket> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("getMyTicket needs a signed-in student");
  return runAs(ctx.http, ctx.actor, async (db) => {
    const [ticket] = await db
      .select()
      .from(tickets)
      .where(and(eq(tickets.id, id), eq(tickets.studentId, userId)));
    if (!ticket) throw ticketNotFound();
    return viewFor(ctx, db, ticket, new Date());
  });
}

/**
 * `POST /v1/tickets/{id}/replies`: the student writes on their ticket. A reply to a pending or
 * on-hold ticket opens it again; to a solved one within 7 days, reopens it; after that, or
 * on a closed ticket, it is 409 TICKET_CLOSED suggesting a new ticket.
 */
export async function replyAsStudent(
  ctx: ServiceContext,
  id: string,
  input: StudentReplyBody,
): Promise<StudentTicket> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("replyAsStudent needs a signed-in student");
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const ticket = await lockTicket(tx, id);
    if (ticket.studentId !== userId) throw ticketNotFound();
    const now = new Date();
    if (!canReply(ticket, now)) {
      throw ticketClosed(
        ticket.status === "closed"
          ? "This ticket is closed."
          : "This ticket was solved more than 7 days ago.",
      );
    }
    const [message] = await tx
      .insert(ticketMessages)
      .values({
        ticketId: id,
        authorId: userId,
        authorRole: "student",
        bodyHtml: input.body,
        bodyText: richTextToPlain(input.body),
        createdAt: now,
      })
      .returning({ id: ticketMessages.id });
    await tx.insert(ticketEvents).values({
      ticketId: id,
      kind: "replied",
      actorId: userId,
      data: { messageId: message?.id, author: "student" },
      createdAt: now,
    });
    const reopen = ticket.status !== "open";
    const { ticket: updated, changed } = await applyChange(
      tx,
      deps(ctx),
      ticket,
      reopen ? { status: "open", reason: "student_reply" } : {},
      now,
    );
    await recordAudit(tx, ctx.audit, {
      action: "ticket.replied",
      entityType: "ticket",
      entityId: id,
      after: { messageId: message?.id, ...(changed.status ? { status: "open" } : {}) },
      before: changed.status ? { status: ticket.status } : null,
    });
    const view = await viewFor(ctx, tx, updated, now);
    await ctx.idempotency?.complete(tx, { status: 201, body: view });
    return view;
  });
}

/** `POST /v1/tickets/{id}/close`: the student is done with it. Closing a closed one is no change. */
export async function closeAsStudent(ctx: ServiceContext, id: string): Promise<StudentTicket> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("closeAsStudent needs a signed-in student");
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const ticket = await lockTicket(tx, id);
    if (ticket.studentId !== userId) throw ticketNotFound();
    const now = new Date();
    if (ticket.status === "closed") return viewFor(ctx, tx, ticket, now);
    const { ticket: updated } = await applyChange(
      tx,
      deps(ctx),
      ticket,
      { status: "closed", reason: "student_closed" },
      now,
    );
    await recordAudit(tx, ctx.audit, {
      action: "ticket.closed",
      entityType: "ticket",
      entityId: id,
      before: { status: ticket.status },
      after: { status: "closed" },
    });
    return viewFor(ctx, tx, updated, now);
  });
}

/** `POST /v1/tickets/{id}/rating`: 1–5 and a comment, once, after the ticket was solved. */
export async function rateTicket(
  ctx: ServiceContext,
  id: string,
  input: RatingBody,
): Promise<StudentTicket> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("rateTicket needs a signed-in student");
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const ticket = await lockTicket(tx, id);
    if (ticket.studentId !== userId) throw ticketNotFound();
    if (!canRate(ticket)) {
      throw new AppError({
        code: "CONFLICT",
        detail:
          ticket.rating !== null
            ? "This ticket was already rated."
            : "A ticket can be rated once it is solved.",
        extensions: { currentStatus: ticket.status, rated: ticket.rating !== null },
      });
    }
    const now = new Date();
    const [updated] = await tx
      .update(tickets)
      .set({
        rating: input.score,
        ratingComment: input.comment ?? null,
        ratedAt: now,
        updatedAt: now,
      })
      .where(eq(tickets.id, id))
      .returning();
    if (!updated) throw new Error("rating update returned nothing");
    await tx.insert(ticketEvents).values({
      ticketId: id,
      kind: "rated",
      actorId: userId,
      data: { score: input.score },
      createdAt: now,
    });
    await recordAudit(tx, ctx.audit, {
      action: "ticket.rated",
      entityType: "ticket",
      entityId: id,
      after: { score: input.score },
    });
    return viewFor(ctx, tx, updated, now);
  });
}
