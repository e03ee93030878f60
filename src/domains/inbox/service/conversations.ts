/**
 * The admins' inbox: threads newest activity first, opening a thread with a contact, and a
 * thread's own flags (read, important, archived, snoozed, assignee). Every verb runs in the
 * admin's own RLS context (the CRM's admin policies are what let them read and write).
 */
import { and, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { type Channel, contacts, conversations, users } from "../../../db/schema";
import { runAs, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, notFound, validationFailed } from "../../../lib/errors";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type {
  ConversationListQuery,
  ConversationView,
  OpenConversationBody,
  UpdateConversationBody,
} from "../schemas";
import { type ConversationRow, selectConversations, toConversation } from "./views";

/** Not snoozed, or the snooze has passed: compared with the database's clock, so no job. */
const awake = or(isNull(conversations.snoozedUntil), lte(conversations.snoozedUntil, sql`now()`));

/** The inbox a badge counts: not archived, not snoozed. */
const inInbox = and(eq(conversations.archived, false), awake);

export async function listConversations(ctx: ServiceContext, input: ConversationListQuery) {
  const assignee =
    input.assignee === "me"
      ? eq(conversations.assigneeId, ctx.actor.userId ?? "")
      : input.assignee === "none"
        ? isNull(conversations.assigneeId)
        : input.assignee
          ? eq(conversations.assigneeId, input.assignee)
          : undefined;
  const filter = and(
    eq(conversations.archived, input.archived ?? false),
    input.snoozed ? gt(conversations.snoozedUntil, sql`now()`) : awake,
    input.unread === undefined
      ? undefined
      : input.unread
        ? gt(conversations.unreadCount, 0)
        : eq(conversations.unreadCount, 0),
    input.important === undefined ? undefined : eq(conversations.important, input.important),
    assignee,
    input.channel ? eq(conversations.channel, input.channel) : undefined,
  );
  return runAs(ctx.http, ctx.actor, async (q) => {
    const [page, counts] = await Promise.all([
      keysetPage({
        limit: input.limit,
        cursor: input.cursor,
        secret: ctx.config.CURSOR_SECRET,
        scope: listScope("GET /v1/admin/conversations", {
          unread: input.unread,
          important: input.important,
          archived: input.archived,
          snoozed: input.snoozed,
          // `me` is per caller: a cursor minted for one admin's list is not another's.
          assignee: input.assignee === "me" ? `me:${ctx.actor.userId}` : input.assignee,
          channel: input.channel,
        }),
        order: { by: [conversations.lastMessageAt], id: conversations.id },
        query: ({ where, orderBy, limit, cursorKey }) =>
          selectConversations(q, { cursorKey })
            .where(and(filter, where))
            .orderBy(...orderBy)
            .limit(limit),
      }),
      q
        .select({
          conversations: sql<number>`count(*) filter (where ${conversations.unreadCount} > 0)::int`,
          messages: sql<number>`coalesce(sum(${conversations.unreadCount}), 0)::int`,
        })
        .from(conversations)
        .where(and(inInbox, gt(conversations.unreadCount, 0))),
    ]);
    return {
      data: page.data.map((r) => toConversation(r as ConversationRow)),
      pagination: page.pagination,
      unread: {
        conversations: Number(counts[0]?.conversations ?? 0),
        messages: Number(counts[0]?.messages ?? 0),
      },
    };
  });
}

/** One thread as the admin sees it, or 404. */
export async function readConversation(
  tx: Transaction,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<ConversationRow> {
  const query = selectConversations(tx, {}).where(eq(conversations.id, id)).limit(1);
  const [row] = await (opts.lock ? query.for("update", { of: conversations }) : query);
  if (!row) throw notFound("No such conversation.");
  return row as ConversationRow;
}

/** The contact's address on a channel: email for email, the phone for WhatsApp and SMS. */
export function addressOn(
  channel: Channel,
  contact: { email: string | null; phone: string | null },
) {
  return channel === "email" ? contact.email : contact.phone;
}

/** Gets the thread with a contact on a channel, creating it the first time. */
export async function openConversation(
  ctx: ServiceContext,
  input: OpenConversationBody,
): Promise<{ created: boolean; conversation: ConversationView }> {
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const [contact] = await tx
      .select({ id: contacts.id, email: contacts.email, phone: contacts.phone })
      .from(contacts)
      .where(eq(contacts.id, input.contactId))
      .limit(1);
    if (!contact) throw notFound("No such contact.");
    const address = addressOn(input.channel, contact);
    if (!address) {
      throw new AppError({
        code: "CONTACT_UNREACHABLE",
        detail: `The contact has no ${input.channel === "email" ? "email address" : "phone number"} for ${input.channel}.`,
      });
    }
    const [inserted] = await tx
      .insert(conversations)
      .values({ contactId: contact.id, channel: input.channel, address })
      .onConflictDoNothing({ target: [conversations.channel, conversations.address] })
      .returning({ id: conversations.id });
    const id =
      inserted?.id ??
      (
        await tx
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.channel, input.channel), eq(conversations.address, address)))
          .limit(1)
      )[0]?.id;
    if (!id) throw new Error("conversation upsert returned no row");
    if (inserted) {
      await recordAudit(tx, ctx.audit, {
        action: "conversation.open",
        entityType: "conversation",
        entityId: id,
        after: { contactId: contact.id, channel: input.channel },
      });
    }
    return {
      created: Boolean(inserted),
      conversation: toConversation(await readConversation(tx, id)),
    };
  });
}

export async function updateConversation(
  ctx: ServiceContext,
  id: string,
  input: UpdateConversationBody,
  now: () => Date = () => new Date(),
): Promise<ConversationView> {
  if (input.snoozedUntil && new Date(input.snoozedUntil).getTime() <= now().getTime()) {
    throw validationFailed([{ path: "snoozedUntil", message: "Must be in the future" }]);
  }
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const before = await readConversation(tx, id, { lock: true });
    if (input.assigneeId) {
      const [admin] = await tx
        .select({ id: users.id })
        .from(users)
        .where(
          and(
            eq(users.id, input.assigneeId),
            inArray(users.role, ["admin", "super_admin"]),
            eq(users.status, "active"),
          ),
        )
        .limit(1);
      if (!admin) {
        throw validationFailed([
          { path: "assigneeId", message: "Must be an active admin or super admin" },
        ]);
      }
    }
    const set: PgUpdateSetSource<typeof conversations> = {};
    if (input.read === true) set.unreadCount = 0;
    if (input.read === false) set.unreadCount = sql`greatest(${conversations.unreadCount}, 1)`;
    if (input.important !== undefined) set.important = input.important;
    if (input.archived !== undefined) set.archived = input.archived;
    if (input.snoozedUntil !== undefined) {
      set.snoozedUntil = input.snoozedUntil ? new Date(input.snoozedUntil) : null;
    }
    if (input.assigneeId !== undefined) set.assigneeId = input.assigneeId;
    await tx.update(conversations).set(set).where(eq(conversations.id, id));
    const after = await readConversation(tx, id);
    await recordAudit(tx, ctx.audit, {
      action: "conversation.update",
      entityType: "conversation",
      entityId: id,
      before: flags(before),
      after: flags(after),
    });
    return toConversation(after);
  });
}

function flags(r: ConversationRow): Record<string, unknown> {
  return {
    unreadCount: r.unreadCount,
    important: r.important,
    archived: r.archived,
    snoozedUntil: r.snoozedUntil,
    assigneeId: r.assigneeId,
  };
}
