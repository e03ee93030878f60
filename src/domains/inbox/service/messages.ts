/**
 * A thread's messages, and an admin's reply. A reply is one transaction: the message
 * (outbound, queued), its notification in the outbox, the thread's last activity, an activity
 * on the contact and an audit row. The provider is called later by the outbox consumer, never
 * here.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { contactActivities, contacts, conversations, messages } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, notFound, validationFailed } from "../../../lib/errors";
import { whatsappWindowOpen } from "../../../lib/notifications/ist";
import type { NotificationRequest } from "../../../lib/notifications/outbox";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { SendMessageBody, SentMessageView } from "../schemas";
import { readConversation } from "./conversations";
import { prepareTemplate, REPLY_TEMPLATE } from "./templates";
import { type MessageRow, messageColumns, previewOf, toMessage } from "./views";

export async function listMessages(
  ctx: ServiceContext,
  conversationId: string,
  input: { limit: number; cursor?: string },
) {
  return runAs(ctx.http, ctx.actor, async (q) => {
    const [exists, page] = await Promise.all([
      q
        .select({ id: conversations.id })
        .from(conversations)
        .where(eq(conversations.id, conversationId))
        .limit(1),
      keysetPage({
        limit: input.limit,
        cursor: input.cursor,
        secret: ctx.config.CURSOR_SECRET,
        scope: listScope("GET /v1/admin/conversations/{id}/messages", { conversationId }),
        order: { by: [messages.createdAt], id: messages.id },
        query: ({ where, orderBy, limit, cursorKey }) =>
          q
            .select({ ...messageColumns, cursorKey })
            .from(messages)
            .where(and(eq(messages.conversationId, conversationId), where))
            .orderBy(...orderBy)
            .limit(limit),
      }),
    ]);
    if (exists.length === 0) throw notFound("No such conversation.");
    return { data: page.data.map((r) => toMessage(r as MessageRow)), pagination: page.pagination };
  });
}

export const whatsappWindowClosed = () =>
  new AppError({
    code: "WHATSAPP_WINDOW_CLOSED",
    detail:
      "The contact last wrote more than 24 hours ago: WhatsApp accepts only an approved template now. Send `template` instead of `text`.",
  });

const optedOut = (reason: string) =>
  new AppError({
    code: "CONTACT_OPTED_OUT",
    detail: "The contact's address is on the suppression list for this channel: nothing was sent.",
    extensions: { reason },
  });

type Outcome = { kind: "queued"; view: SentMessageView } | { kind: "suppressed"; reason: string };

/**
 * Sends `input` on the thread's channel. WhatsApp free text outside the 24-hour window is
 * refused before anything is written; a suppressed address gets its refusal recorded (the
 * notification row `suppressed`, the message `failed`), committed, and then a 409.
 */
export async function sendMessage(
  ctx: ServiceContext,
  conversationId: string,
  input: SendMessageBody,
  opts: { now?: () => Date } = {},
): Promise<SentMessageView> {
  const now = opts.now ?? (() => new Date());
  const outcome = await runAs(ctx.db, ctx.actor, async (tx): Promise<Outcome> => {
    const thread = await readConversation(tx, conversationId, { lock: true });
    const isText = "text" in input;
    if (
      isText &&
      thread.channel === "whatsapp" &&
      !whatsappWindowOpen(thread.lastInboundAt, now())
    ) {
      throw whatsappWindowClosed();
    }
    if (isText && input.subject !== undefined && thread.channel !== "email") {
      throw validationFailed([{ path: "subject", message: "Only an email has a subject" }]);
    }
    const template = isText ? REPLY_TEMPLATE : input.template.name;
    const prepared = isText
      ? {
          transactional: true,
          safe: { text: input.text, ...(input.subject ? { subject: input.subject } : {}) },
          secrets: {},
          body: input.text,
          params: null,
        }
      : prepareTemplate(template, thread.channel, input.template.variables);
    const { safe, secrets, transactional } = prepared;

    const [message] = await tx
      .insert(messages)
      .values({
        conversationId,
        direction: "outbound",
        body: prepared.body,
        template: isText ? null : template,
        templateParams: prepared.params,
        status: "queued",
        sentBy: ctx.actor.userId,
      })
      .returning({ id: messages.id });
    if (!message) throw new Error("message insert returned no row");

    const request: NotificationRequest = {
      channel: thread.channel,
      to: thread.address,
      template,
      variables: safe,
      secrets,
      transactional,
      contactId: thread.contact.id,
      userId: thread.contact.userId,
      messageId: message.id,
    };
    const queued = await ctx.outbox.add(tx, request);

    const activity = {
      conversationId,
      messageId: message.id,
      channel: thread.channel,
      template,
      notificationId: queued.id,
    };
    if (queued.status === "suppressed") {
      await tx
        .update(messages)
        .set({
          status: "failed",
          error: `suppressed: ${queued.reason}`,
          notificationId: queued.id,
          statusAt: now(),
        })
        .where(and(eq(messages.id, message.id), inArray(messages.status, ["queued", "sent"])));
      await tx.insert(contactActivities).values({
        contactId: thread.contact.id,
        kind: "message.refused",
        actorId: ctx.actor.userId,
        data: { ...activity, reason: queued.reason },
      });
      await recordAudit(tx, ctx.audit, {
        action: "message.refuse",
        entityType: "message",
        entityId: message.id,
        after: { ...activity, reason: queued.reason },
      });
      return { kind: "suppressed", reason: queued.reason };
    }

    const [row] = await tx
      .update(messages)
      .set({ notificationId: queued.id })
      .where(eq(messages.id, message.id))
      .returning(messageColumns);
    if (!row) throw new Error("message update returned no row");
    await tx
      .update(conversations)
      .set({ lastMessageAt: sql`now()`, lastMessagePreview: previewOf(row.body) })
      .where(eq(conversations.id, conversationId));
    await tx.insert(contactActivities).values({
      contactId: thread.contact.id,
      kind: "message.sent",
      actorId: ctx.actor.userId,
      data: activity,
    });
    await tx
      .update(contacts)
      .set({ lastActivityAt: sql`now()` })
      .where(eq(contacts.id, thread.contact.id));
    const view: SentMessageView = {
      message: toMessage(row as MessageRow),
      notification: {
        id: queued.id,
        status: "queued",
        notBefore: queued.notBefore.toISOString(),
        transactional,
      },
    };
    await recordAudit(tx, ctx.audit, {
      action: "message.send",
      entityType: "message",
      entityId: message.id,
      after: { ...activity, transactional, notBefore: view.notification.notBefore },
    });
    await ctx.idempotency?.complete(tx, { status: 201, body: view });
    return { kind: "queued", view };
  });
  // After the commit: the refusal stays on record, the caller learns nothing was sent.
  if (outcome.kind === "suppressed") throw optedOut(outcome.reason);
  return outcome.view;
}
