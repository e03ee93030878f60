import { eq } from "drizzle-orm";
import type { SelectedFields } from "drizzle-orm/pg-core";
import { contacts, conversations, messages } from "../../../db/schema";
import type { Reader } from "../../../db/transaction";
import { WHATSAPP_WINDOW_MS } from "../../../lib/notifications/ist";
import type { ConversationView, MessageView } from "../schemas";

export const conversationColumns = {
  id: conversations.id,
  channel: conversations.channel,
  address: conversations.address,
  unreadCount: conversations.unreadCount,
  important: conversations.important,
  archived: conversations.archived,
  snoozedUntil: conversations.snoozedUntil,
  assigneeId: conversations.assigneeId,
  lastMessageAt: conversations.lastMessageAt,
  lastInboundAt: conversations.lastInboundAt,
  lastMessagePreview: conversations.lastMessagePreview,
  createdAt: conversations.createdAt,
  contact: {
    id: contacts.id,
    name: contacts.name,
    email: contacts.email,
    phone: contacts.phone,
    leadStatus: contacts.leadStatus,
    userId: contacts.userId,
  },
};

/** Threads with their contact (every thread has one: the foreign key cascades). */
export function selectConversations<Extra extends SelectedFields>(q: Reader, extra: Extra) {
  return q
    .select({ ...conversationColumns, ...extra })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId));
}

export interface ConversationRow {
  id: string;
  channel: ConversationView["channel"];
  address: string;
  unreadCount: number;
  important: boolean;
  archived: boolean;
  snoozedUntil: Date | null;
  assigneeId: string | null;
  lastMessageAt: Date;
  lastInboundAt: Date | null;
  lastMessagePreview: string | null;
  createdAt: Date;
  contact: {
    id: string;
    name: string;
    email: string | null;
    phone: string | null;
    leadStatus: ConversationView["contact"]["leadStatus"];
    userId: string | null;
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toConversation(r: ConversationRow): ConversationView {
  const windowCloses =
    r.channel === "whatsapp" && r.lastInboundAt
      ? new Date(r.lastInboundAt.getTime() + WHATSAPP_WINDOW_MS).toISOString()
      : null;
  return {
    id: r.id,
    channel: r.channel,
    address: r.address,
    contact: {
      id: r.contact.id,
      name: r.contact.name,
      email: r.contact.email,
      phone: r.contact.phone,
      leadStatus: r.contact.leadStatus,
      isStudent: r.contact.userId !== null,
    },
    unreadCount: r.unreadCount,
    important: r.important,
    archived: r.archived,
    snoozedUntil: iso(r.snoozedUntil),
    assigneeId: r.assigneeId,
    lastMessageAt: r.lastMessageAt.toISOString(),
    lastInboundAt: iso(r.lastInboundAt),
    lastMessagePreview: r.lastMessagePreview,
    whatsappWindowClosesAt: windowCloses,
    createdAt: r.createdAt.toISOString(),
  };
}

/** A message's columns, never its `search` vector (large, and of no use to a client). */
export const messageColumns = {
  id: messages.id,
  conversationId: messages.conversationId,
  direction: messages.direction,
  body: messages.body,
  template: messages.template,
  templateParams: messages.templateParams,
  status: messages.status,
  provider: messages.provider,
  providerMessageId: messages.providerMessageId,
  error: messages.error,
  sentBy: messages.sentBy,
  notificationId: messages.notificationId,
  statusAt: messages.statusAt,
  createdAt: messages.createdAt,
};

export type MessageRow = Omit<MessageView, "statusAt" | "createdAt"> & {
  statusAt: Date;
  createdAt: Date;
};

export function toMessage(r: MessageRow): MessageView {
  return { ...r, statusAt: r.statusAt.toISOString(), createdAt: r.createdAt.toISOString() };
}

/** What a thread shows as its last message: one line, at most 140 characters. */
export function previewOf(body: string): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}
