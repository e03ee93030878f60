import { and, eq, sql } from "drizzle-orm";
import {
  consents,
  contactActivities,
  contacts,
  messages,
  type Notification,
  notifications,
  suppressions,
} from "../../db/schema";
import { runAs, SYSTEM } from "../../db/transaction";
import { recordAudit } from "../../lib/audit";
import { AppError, notFound, validationFailed } from "../../lib/errors";
import { afterQuietHours } from "../../lib/notifications/ist";
import { getTemplate, previewTemplate } from "../../lib/notifications/templates";
import { verifyUnsubscribeToken } from "../../lib/notifications/unsubscribe";
import { keysetPage, listScope } from "../../lib/pagination";
import type { ServiceContext } from "../../lib/service-context";
import type { NotificationListQuery } from "./schemas";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toNotificationView(n: Notification) {
  return {
    id: n.id,
    channel: n.channel,
    to: n.toAddress,
    template: n.template,
    variables: n.variables,
    transactional: n.transactional,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    provider: n.provider,
    providerMessageId: n.providerMessageId,
    notBefore: n.notBefore.toISOString(),
    createdAt: n.createdAt.toISOString(),
    sentAt: iso(n.sentAt),
  };
}

/** Newest first; `status=failed` is the admins' dead-letter view. */
export async function listNotifications(ctx: ServiceContext, input: NotificationListQuery) {
  const page = await runAs(ctx.http, ctx.actor, (q) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/notifications", { status: input.status }),
      order: { by: [notifications.createdAt], id: notifications.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        q
          .select({ row: notifications, cursorKey })
          .from(notifications)
          .where(and(input.status ? eq(notifications.status, input.status) : undefined, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map((r) => toNotificationView(r.row)) };
}

/**
 * Queues a failed notification again: three fresh tries, its id (the provider's idempotency
 * key) unchanged, so a send the provider did accept before is not repeated where the provider
 * deduplicates. The admin is the audit actor; the outbox itself is written as system.
 */
export async function retryNotification(ctx: ServiceContext, id: string) {
  const row = await runAs(ctx.db, SYSTEM, async (tx) => {
    const [current] = await tx
      .select()
      .from(notifications)
      .where(eq(notifications.id, id))
      .for("update");
    if (!current) throw notFound("No notification with this id.");
    if (current.status !== "failed") {
      throw new AppError({
        code: "CONFLICT",
        detail: `Only a failed notification can be retried; this one is ${current.status}.`,
      });
    }
    const [updated] = await tx
      .update(notifications)
      .set({
        status: "queued",
        generation: sql`${notifications.generation} + 1`,
        // Marketing waits out quiet hours on a retry too.
        notBefore: current.transactional ? new Date() : afterQuietHours(new Date()),
        lockedUntil: null,
        enqueuedAt: sql`now()`,
      })
      .where(eq(notifications.id, id))
      .returning();
    if (current.messageId) {
      await tx
        .update(messages)
        .set({ status: "queued", error: null, statusAt: sql`now()` })
        .where(and(eq(messages.id, current.messageId), eq(messages.status, "failed")));
    }
    await recordAudit(tx, ctx.audit, {
      action: "notification.retry",
      entityType: "notification",
      entityId: id,
      before: { status: current.status, attempts: current.attempts, lastError: current.lastError },
      after: { status: "queued" },
    });
    return updated as Notification;
  });
  ctx.outbox.requeue(row.id, row.generation, row.notBefore);
  return toNotificationView(row);
}

export function templatePreview(name: string) {
  const template = getTemplate(name);
  const preview = previewTemplate(name);
  if (!template || !preview) throw notFound("No template with this name.");
  return {
    name: template.name,
    description: template.description,
    transactional: template.transactional,
    secretVariables: [...(template.secretVariables as readonly string[])],
    sample: template.sample as Record<string, unknown>,
    ...(preview.email && {
      email: { subject: preview.email.subject, text: preview.email.text, html: preview.email.html },
    }),
    ...(preview.whatsapp && {
      whatsapp: {
        name: preview.whatsapp.name,
        language: preview.whatsapp.language,
        params: preview.whatsapp.params,
        preview: preview.whatsapp.preview,
      },
    }),
    ...(preview.sms && {
      sms: {
        text: preview.sms.text,
        encoding: preview.sms.encoding,
        segments: preview.sms.segments,
      },
    }),
  };
}

/**
 * A one-click unsubscribe (RFC 8058): marketing email to the address stops; transactional
 * email (receipts, class changes, password resets) still goes out. Idempotent; a stronger
 * suppression already there (a bounce, a complaint) is kept. Recorded on the contact, if any,
 * as a withdrawn consent and an activity.
 */
export async function unsubscribe(ctx: ServiceContext, token: string): Promise<void> {
  const address = await verifyUnsubscribeToken(ctx.config.JWT_SECRET, token);
  if (!address || !EMAIL.test(address)) {
    throw validationFailed([{ path: "token", message: "This unsubscribe link is not valid." }]);
  }
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const [added] = await tx
      .insert(suppressions)
      .values({
        channel: "email",
        address,
        reason: "unsubscribe",
        scope: "marketing",
        source: "unsubscribe_link",
      })
      .onConflictDoNothing()
      .returning({ address: suppressions.address });
    if (!added) return;
    const [contact] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(eq(contacts.email, address))
      .limit(1);
    if (!contact) return;
    await tx.insert(consents).values({
      contactId: contact.id,
      channel: "email",
      granted: false,
      source: "unsubscribe_link",
      ip: ctx.audit.ip,
      userAgent: ctx.audit.userAgent,
    });
    await tx.insert(contactActivities).values({
      contactId: contact.id,
      kind: "opted_out",
      data: { channel: "email", scope: "marketing", via: "unsubscribe_link" },
    });
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
