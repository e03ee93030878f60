/**
 * What providers tell us, applied to the inbox: inbound messages, delivery statuses, bounces
 * and complaints, opt-out keywords. Transport-free: the webhook routes verify and parse, then
 * hand a list of items here. Everything of one delivery runs in ONE transaction as `system`,
 * each item behind its own webhook_events row (provider + event key), so a retried delivery,
 * or a duplicate item, changes nothing, and a delivery that fails half-way is retried whole.
 */
import { and, eq, sql } from "drizzle-orm";
import {
  type Channel,
  consents,
  contactActivities,
  contacts,
  conversations,
  messages,
  type SuppressionReason,
  suppressions,
  webhookEvents,
} from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import type { ServiceContext } from "../../../lib/service-context";
import { findOrCreateContact } from "./contacts";
import { previewOf } from "./views";

/** Opt-out and opt-in keywords (carriers' and WhatsApp's usual set), whole message only. */
const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]);
const START_WORDS = new Set(["START", "UNSTOP"]);

export function optKeyword(text: string | undefined): "stop" | "start" | null {
  const word = text?.trim().toUpperCase();
  if (!word) return null;
  if (STOP_WORDS.has(word)) return "stop";
  if (START_WORDS.has(word)) return "start";
  return null;
}

const E164 = /^\+[1-9][0-9]{7,14}$/;

export interface InboundMessage {
  channel: Extract<Channel, "whatsapp" | "sms">;
  provider: string;
  providerMessageId: string;
  /** E.164. */
  from: string;
  text?: string;
  /** The provider's message type (`text`, `image`, …) for a message without text. */
  type?: string;
  /** The sender's profile name, for a contact created here. */
  name?: string;
  /** When the person sent it (the provider's timestamp; now if it has none). */
  at?: Date;
}

export type DeliveryStatus = "queued" | "sent" | "delivered" | "read" | "failed";

export interface StatusUpdate {
  provider: string;
  providerMessageId: string;
  status: DeliveryStatus;
  error?: string;
}

export interface BounceUpdate {
  provider: string;
  providerMessageId: string;
  /** The recipients the provider names (the notification's own address is added). */
  addresses: string[];
  kind: "hard" | "soft" | "undetermined" | "complaint";
  detail?: string;
}

export type WebhookItem = { key: string; event: string } & (
  | { kind: "inbound"; input: InboundMessage }
  | { kind: "status"; input: StatusUpdate }
  | { kind: "bounce"; input: BounceUpdate }
  /** Recorded once, nothing else to do (e.g. `email.delivery_delayed`). */
  | { kind: "note" }
);

export interface WebhookResult {
  applied: number;
  duplicates: number;
}

/** Applies a verified delivery's items, each once. */
export async function applyWebhookItems(
  ctx: Pick<ServiceContext, "db">,
  provider: string,
  items: WebhookItem[],
): Promise<WebhookResult> {
  const result: WebhookResult = { applied: 0, duplicates: 0 };
  if (items.length === 0) return result;
  await runAs(ctx.db, SYSTEM, async (tx) => {
    for (const item of items) {
      const fresh = await tx
        .insert(webhookEvents)
        .values({ provider, eventKey: item.key.slice(0, 500), event: item.event.slice(0, 100) })
        .onConflictDoNothing()
        .returning({ eventKey: webhookEvents.eventKey });
      if (fresh.length === 0) {
        result.duplicates++;
        continue;
      }
      result.applied++;
      switch (item.kind) {
        case "inbound":
          await recordInbound(tx, item.input);
          break;
        case "status":
          await applyDeliveryStatus(tx, item.input);
          break;
        case "bounce":
          await applyBounce(tx, item.input);
          break;
        case "note":
          break;
      }
    }
  });
  return result;
}

export interface InboundOutcome {
  conversationId: string;
  contactId: string;
  messageId: string | null;
  duplicate: boolean;
  optOut: "stop" | "start" | null;
}

/**
 * An inbound message: into its thread (created, with a new lead for an unknown number, the
 * first time), which becomes unread, unarchived and unsnoozed; the WhatsApp window reopens
 * from the message's time. STOP/START change the suppression list and consent.
 */
export async function recordInbound(
  tx: Transaction,
  input: InboundMessage,
): Promise<InboundOutcome> {
  if (!E164.test(input.from)) throw new Error("recordInbound: `from` must be E.164");
  const at = sql`least(${(input.at ?? new Date()).toISOString()}::timestamptz, now())`;
  const thread = await threadFor(tx, input);
  const body = input.text?.length ? input.text : `[${input.type ?? "message"}]`;
  const [message] = await tx
    .insert(messages)
    .values({
      conversationId: thread.id,
      direction: "inbound",
      body,
      status: "received",
      provider: input.provider,
      providerMessageId: input.providerMessageId,
      createdAt: at,
      statusAt: at,
    })
    .onConflictDoNothing({ target: [messages.provider, messages.providerMessageId] })
    .returning({ id: messages.id });
  const outcome: InboundOutcome = {
    conversationId: thread.id,
    contactId: thread.contactId,
    messageId: message?.id ?? null,
    duplicate: !message,
    optOut: null,
  };
  if (!message) return outcome;

  await tx
    .update(conversations)
    .set({
      unreadCount: sql`${conversations.unreadCount} + 1`,
      // A late delivery of an older message does not replace a newer one's preview.
      lastMessagePreview: sql`case
        when ${conversations.lastInboundAt} is null or ${at} >= ${conversations.lastInboundAt}
        then ${previewOf(body)} else ${conversations.lastMessagePreview} end`,
      lastInboundAt: sql`greatest(${conversations.lastInboundAt}, ${at})`,
      // The thread's activity is when we received it: it moves to the top of the inbox.
      lastMessageAt: sql`greatest(${conversations.lastMessageAt}, now())`,
      archived: false,
      snoozedUntil: null,
    })
    .where(eq(conversations.id, thread.id));
  await touchContact(tx, thread.contactId, "message.received", {
    conversationId: thread.id,
    messageId: message.id,
    channel: input.channel,
  });

  outcome.optOut = optKeyword(input.text);
  if (outcome.optOut === "stop") {
    await suppress(tx, {
      channel: input.channel,
      address: input.from,
      reason: "stop",
      source: `${input.channel}_stop`,
    });
    await tx.insert(consents).values({
      contactId: thread.contactId,
      channel: input.channel,
      granted: false,
      source: `${input.channel}_stop`,
      wording: input.text?.trim().slice(0, 100) ?? null,
    });
    await touchContact(tx, thread.contactId, "consent.withdrawn", {
      channel: input.channel,
      address: input.from,
      messageId: message.id,
    });
  } else if (outcome.optOut === "start") {
    await tx
      .delete(suppressions)
      .where(
        and(
          eq(suppressions.channel, input.channel),
          eq(suppressions.address, input.from),
          eq(suppressions.reason, "stop"),
        ),
      );
    await tx.insert(consents).values({
      contactId: thread.contactId,
      channel: input.channel,
      granted: true,
      source: `${input.channel}_start`,
      wording: input.text?.trim().slice(0, 100) ?? null,
    });
    await touchContact(tx, thread.contactId, "consent.granted", {
      channel: input.channel,
      address: input.from,
      messageId: message.id,
    });
  }
  return outcome;
}

/** The thread with this address on this channel, locked; created (with its contact) if new. */
async function threadFor(
  tx: Transaction,
  input: InboundMessage,
): Promise<{ id: string; contactId: string }> {
  const find = async () =>
    (
      await tx
        .select({ id: conversations.id, contactId: conversations.contactId })
        .from(conversations)
        .where(and(eq(conversations.channel, input.channel), eq(conversations.address, input.from)))
        .for("update")
        .limit(1)
    )[0];
  const existing = await find();
  if (existing) return existing;
  const contact = await findOrCreateContact(tx, {
    channel: input.channel,
    address: input.from,
    name: input.name,
  });
  const [created] = await tx
    .insert(conversations)
    .values({ contactId: contact.id, channel: input.channel, address: input.from })
    .onConflictDoNothing({ target: [conversations.channel, conversations.address] })
    .returning({ id: conversations.id, contactId: conversations.contactId });
  const thread = created ?? (await find());
  if (!thread) throw new Error("conversation upsert found no row");
  return thread;
}

async function touchContact(
  tx: Transaction,
  contactId: string,
  kind: string,
  data: Record<string, unknown>,
) {
  await tx.insert(contactActivities).values({ contactId, kind, data });
  await tx.update(contacts).set({ lastActivityAt: sql`now()` }).where(eq(contacts.id, contactId));
}

/**
 * The outbound message a provider id names: on the message itself, or on its notification.
 * Sends through the development channels (provider `dev`, ids `dev-<uuid>`) match too, so a
 * local walk-through can play the provider's status callbacks; outside development no row is
 * ever `dev` (src/env.ts refuses the development channels there).
 */
const byProviderId = (provider: string, id: string) =>
  sql`${messages.direction} = 'outbound' and (
    (${messages.provider} in (${provider}, 'dev') and ${messages.providerMessageId} = ${id})
    or ${messages.notificationId} in (
      select n.id from notifications n
       where n.provider in (${provider}, 'dev') and n.provider_message_id = ${id}))`;

/**
 * Moves a message's status forward, never back: statuses arrive out of order, so a late
 * `delivered` after `read` matches no row (the WHERE mirrors messages_guard, which would raise).
 * Returns how many messages changed (0 or 1).
 */
export async function applyDeliveryStatus(tx: Transaction, input: StatusUpdate): Promise<number> {
  const error = input.error?.slice(0, 500) ?? (input.status === "failed" ? "failed" : null);
  const forward =
    input.status === "failed"
      ? sql`${messages.status} in ('queued', 'sent')`
      : sql`${messages.status} not in ('read', 'failed')
            and message_status_rank(${input.status}) > message_status_rank(${messages.status})`;
  const changed = await tx
    .update(messages)
    .set({
      status: input.status,
      statusAt: sql`now()`,
      error: error === null ? sql`${messages.error}` : error,
      provider: sql`coalesce(${messages.provider}, ${input.provider})`,
      providerMessageId: sql`coalesce(${messages.providerMessageId}, ${input.providerMessageId})`,
    })
    .where(and(byProviderId(input.provider, input.providerMessageId), forward))
    .returning({ id: messages.id });
  return changed.length;
}

/** Adds (or hardens) a suppression: STOP, a hard bounce and a complaint stop everything. */
export async function suppress(
  tx: Transaction,
  input: { channel: Channel; address: string; reason: SuppressionReason; source: string },
) {
  await tx
    .insert(suppressions)
    .values({ ...input, scope: "all" })
    .onConflictDoUpdate({
      target: [suppressions.channel, suppressions.address],
      set: { reason: input.reason, scope: "all", source: input.source, createdAt: sql`now()` },
    });
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * An email bounce or complaint. A hard bounce fails the message (if it had not been delivered)
 * and suppresses the address; a complaint suppresses it too; soft and undetermined bounces
 * only note the error, as the provider keeps trying.
 */
export async function applyBounce(tx: Transaction, input: BounceUpdate): Promise<void> {
  const detail = input.detail?.slice(0, 400);
  if (input.kind === "hard") {
    await applyDeliveryStatus(tx, {
      provider: input.provider,
      providerMessageId: input.providerMessageId,
      status: "failed",
      error: `bounced${detail ? `: ${detail}` : ""}`,
    });
  } else if (input.kind !== "complaint") {
    await tx
      .update(messages)
      .set({ error: `${input.kind} bounce${detail ? `: ${detail}` : ""}` })
      .where(
        and(
          byProviderId(input.provider, input.providerMessageId),
          sql`${messages.status} not in ('read', 'failed')`,
        ),
      );
    return;
  }
  const notified = await tx.execute<{ to_address: string }>(
    sql`select to_address from notifications
         where provider = ${input.provider} and provider_message_id = ${input.providerMessageId}
           and channel = 'email'`,
  );
  const addresses = new Set(
    [...input.addresses, ...notified.rows.map((r) => r.to_address)]
      .map((a) => a.trim().toLowerCase())
      .filter((a) => a.length <= 254 && EMAIL.test(a)),
  );
  const reason = input.kind === "complaint" ? "complaint" : "hard_bounce";
  for (const address of addresses) {
    await suppress(tx, { channel: "email", address, reason, source: input.provider });
    const [contact] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(eq(contacts.email, address))
      .limit(1);
    if (contact) {
      await touchContact(
        tx,
        contact.id,
        `email.${input.kind === "complaint" ? "complained" : "bounced"}`,
        {
          address,
          providerMessageId: input.providerMessageId,
        },
      );
    }
  }
}
