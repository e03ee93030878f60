import { and, eq, sql } from "drizzle-orm";
import { enrolments, payments, ticketEvents, ticketMessages, tickets } from "../../../db/schema";
import { runAs, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError } from "../../../lib/errors";
import { richTextToPlain } from "../../../lib/sanitize";
import type { ServiceContext } from "../../../lib/service-context";
import type { CreateTicketBody, StudentTicket } from "../schemas";
import { slaColumns } from "./sla";
import { studentView } from "./views";

/**
 * Takes the next `TKT-<year>-<seq>` in its own statement (next_ticket_number, migration
 * 0033): the counter row is locked for that one statement, not for the ticket's transaction,
 * so concurrent openings never queue behind each other. A creation that fails leaves a gap.
 */
async function nextNumber(ctx: ServiceContext) {
  const result = await runAs(ctx.http, ctx.actor, (db) =>
    db.execute<{ ticket_year: number; ticket_seq: number }>(
      sql`select ticket_year, ticket_seq from next_ticket_number()`,
    ),
  );
  const row = result.rows[0];
  if (!row) throw new Error("next_ticket_number returned nothing");
  const year = Number(row.ticket_year);
  const seq = Number(row.ticket_seq);
  return { year, seq, number: `TKT-${year}-${String(seq).padStart(6, "0")}` };
}

const notYours = (path: "enrolmentId" | "paymentId", what: string) =>
  new AppError({
    code: "UNPROCESSABLE",
    detail: `The ${what} was not found among your own.`,
    errors: [{ path, message: `Not one of your ${what}s` }],
  });

/** The enrolment and payment, when given, must be the student's own (RLS shows only those). */
async function assertOwnLinks(tx: Transaction, userId: string, input: CreateTicketBody) {
  if (input.enrolmentId) {
    const [e] = await tx
      .select({ id: enrolments.id })
      .from(enrolments)
      .where(and(eq(enrolments.id, input.enrolmentId), eq(enrolments.userId, userId)));
    if (!e) throw notYours("enrolmentId", "enrolment");
  }
  if (input.paymentId) {
    const [p] = await tx
      .select({ id: payments.id })
      .from(payments)
      .where(and(eq(payments.id, input.paymentId), eq(payments.userId, userId)));
    if (!p) throw notYours("paymentId", "payment");
  }
}

/**
 * `POST /v1/tickets`: the signed-in student opens a ticket. One transaction: the ticket with
 * its SLA deadlines, the opening message, the `created` event, the audit row and the
 * Idempotency-Key answer. Priority starts `normal`; support triages.
 */
export async function createTicket(
  ctx: ServiceContext,
  input: CreateTicketBody,
): Promise<StudentTicket> {
  const userId = ctx.actor.userId;
  if (!userId) throw new Error("createTicket needs a signed-in student");
  const { year, seq, number } = await nextNumber(ctx);
  return runAs(ctx.db, ctx.actor, async (tx) => {
    await assertOwnLinks(tx, userId, input);
    const now = new Date();
    const clocks = slaColumns(
      ctx.config,
      { createdAt: now, priority: "normal", firstRespondedAt: null },
      [{ at: now, status: "open" }],
    );
    const [ticket] = await tx
      .insert(tickets)
      .values({
        number,
        year,
        seq,
        studentId: userId,
        subject: input.subject,
        category: input.category,
        enrolmentId: input.enrolmentId ?? null,
        paymentId: input.paymentId ?? null,
        ...clocks,
        lastActivityAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!ticket) throw new Error("ticket insert returned nothing");
    await tx.insert(ticketMessages).values({
      ticketId: ticket.id,
      authorId: userId,
      authorRole: "student",
      bodyHtml: input.body,
      bodyText: richTextToPlain(input.body),
      createdAt: now,
    });
    await tx.insert(ticketEvents).values({
      ticketId: ticket.id,
      kind: "created",
      actorId: userId,
      data: { category: input.category },
      createdAt: now,
    });
    await recordAudit(tx, ctx.audit, {
      action: "ticket.created",
      entityType: "ticket",
      entityId: ticket.id,
      after: { number, category: input.category, subject: input.subject },
    });
    const view = await studentView(tx, ticket, now);
    await ctx.idempotency?.complete(tx, { status: 201, body: view });
    return view;
  });
}
