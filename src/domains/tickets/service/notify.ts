import { and, eq, inArray } from "drizzle-orm";
import { type Ticket, type TicketStatus, users } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import type { AppConfig } from "../../../env";
import { actionLink } from "../../../lib/notifications/links";
import type { Outbox } from "../../../lib/notifications/outbox";

type Deps = { outbox: Outbox; config: Pick<AppConfig, "APP_BASE_URL"> };

const EXCERPT_MAX = 1000;

/** The student's page for the ticket (they sign in to read it: no token in the link). */
export const studentTicketLink = (config: Pick<AppConfig, "APP_BASE_URL">, t: Ticket) =>
  actionLink(config.APP_BASE_URL, `/support/tickets/${t.id}`);

export const adminTicketLink = (config: Pick<AppConfig, "APP_BASE_URL">, t: Ticket) =>
  actionLink(config.APP_BASE_URL, `/admin/support/tickets/${t.id}`);

async function student(tx: Transaction, t: Ticket) {
  const [u] = await tx
    .select({ email: users.email, name: users.fullName, status: users.status })
    .from(users)
    .where(eq(users.id, t.studentId));
  return u && u.status !== "disabled" ? u : null;
}

const excerpt = (text: string) =>
  text.length <= EXCERPT_MAX ? text : `${text.slice(0, EXCERPT_MAX - 1).trimEnd()}…`;

/** Email to the student: support replied (in the reply's transaction; once per message). */
export async function notifyReply(
  tx: Transaction,
  deps: Deps,
  t: Ticket,
  message: { id: string; bodyText: string },
) {
  const to = await student(tx, t);
  if (!to) return;
  await deps.outbox.add(tx, {
    channel: "email",
    to: to.email,
    template: "ticket_reply",
    variables: {
      name: to.name,
      ticketNumber: t.number,
      subject: t.subject,
      excerpt: excerpt(message.bodyText),
      link: studentTicketLink(deps.config, t),
    },
    transactional: true,
    dedupeKey: `ticket_reply:${message.id}`,
    userId: t.studentId,
  });
}

/** Email to the student: their ticket changed status (once per change, named by its event). */
export async function notifyStatus(
  tx: Transaction,
  deps: Deps,
  t: Ticket,
  status: TicketStatus,
  eventId: number,
) {
  const to = await student(tx, t);
  if (!to) return;
  await deps.outbox.add(tx, {
    channel: "email",
    to: to.email,
    template: "ticket_status",
    variables: {
      name: to.name,
      ticketNumber: t.number,
      subject: t.subject,
      status,
      link: studentTicketLink(deps.config, t),
    },
    transactional: true,
    dedupeKey: `ticket_status:${t.id}:${eventId}`,
    userId: t.studentId,
  });
}

/** Who hears about an SLA mark: the assignee if active, else every active admin. */
export async function slaRecipients(tx: Transaction, t: Ticket) {
  const active = and(eq(users.status, "active"), inArray(users.role, ["admin", "super_admin"]));
  const cols = { id: users.id, email: users.email, name: users.fullName };
  if (t.assigneeId) {
    const [a] = await tx
      .select(cols)
      .from(users)
      .where(and(eq(users.id, t.assigneeId), active));
    if (a) return { assignee: a.name, to: [a] };
  }
  return { assignee: undefined, to: await tx.select(cols).from(users).where(active) };
}
