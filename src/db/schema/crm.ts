import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";
import { users } from "./users";

export const channels = ["email", "whatsapp", "sms"] as const;
export type Channel = (typeof channels)[number];

export const leadStatuses = ["new", "contacted", "qualified", "converted", "lost"] as const;
export type LeadStatus = (typeof leadStatuses)[number];

export const contactSources = ["website", "whatsapp", "sms", "email", "import", "admin"] as const;
export type ContactSource = (typeof contactSources)[number];

/**
 * Everyone the CRM talks to: a lead (`lead_status` set), a student (`user_id` set), or both (a
 * lead converted, or a student who asked about another course). Email is lower-cased and phone
 * is E.164 before they get here; each belongs to at most one contact, so a person submitted
 * twice, or written two ways, is one row.
 */
export const contacts = pgTable(
  "contacts",
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    email: text(),
    phone: text(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    leadStatus: text("lead_status", { enum: leadStatuses }),
    lostReason: text("lost_reason"),
    source: text({ enum: contactSources }).notNull(),
    courseInterest: text("course_interest"),
    /** utm_source, utm_medium, utm_campaign, utm_term, utm_content of the first submission. */
    utm: jsonb().$type<Record<string, string>>().notNull().default({}),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    convertedAt: timestamp("converted_at", tz),
    lastActivityAt: timestamp("last_activity_at", tz).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("contacts_email_key").on(t.email),
    uniqueIndex("contacts_phone_key").on(t.phone),
    uniqueIndex("contacts_user_key").on(t.userId),
    check("contacts_email_lower_check", sql`${t.email} = lower(${t.email})`),
    check("contacts_phone_e164_check", sql`${t.phone} ~ '^\\+[1-9][0-9]{7,14}$'`),
    check(
      "contacts_lead_status_check",
      sql`${t.leadStatus} in ('new', 'contacted', 'qualified', 'converted', 'lost')`,
    ),
    check(
      "contacts_source_check",
      sql`${t.source} in ('website', 'whatsapp', 'sms', 'email', 'import', 'admin')`,
    ),
    check(
      "contacts_lost_reason_check",
      sql`(${t.leadStatus} = 'lost') = (${t.lostReason} is not null) or ${t.leadStatus} is null`,
    ),
    check("contacts_reachable_check", sql`${t.email} is not null or ${t.phone} is not null`),
    // The admin lead list, newest first, by status and by assignee.
    index("contacts_leads_created_idx")
      .on(t.createdAt.desc(), t.id.desc())
      .where(sql`${t.leadStatus} is not null`),
    index("contacts_lead_status_created_idx")
      .on(t.leadStatus, t.createdAt.desc(), t.id.desc())
      .where(sql`${t.leadStatus} is not null`),
    index("contacts_assignee_created_idx")
      .on(t.assigneeId, t.createdAt.desc(), t.id.desc())
      .where(sql`${t.leadStatus} is not null`),
    // q= on name, email and phone (ILIKE '%…%').
    index("contacts_search_trgm_idx").using(
      "gin",
      sql`(lower(${t.name} || ' ' || coalesce(${t.email}, '') || ' ' || coalesce(${t.phone}, ''))) gin_trgm_ops`,
    ),
  ],
);

export type Contact = typeof contacts.$inferSelect;

/** A contact's timeline: submissions, merges, status and assignee changes, conversion, opt-outs. */
export const contactActivities = pgTable(
  "contact_activities",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [index("contact_activities_contact_idx").on(t.contactId, t.createdAt.desc(), t.id.desc())],
);

/**
 * Consent to be contacted on a channel, as given: what, when, from which form and which address.
 * Append-only: a withdrawal is a new row with `granted = false`; the newest row per channel wins.
 */
export const consents = pgTable(
  "consents",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    channel: text({ enum: channels }).notNull(),
    granted: boolean().notNull(),
    /** The form or flow it came from, e.g. `website_lead_form`, `whatsapp_stop`. */
    source: text().notNull(),
    /** The wording the person agreed to. */
    wording: text(),
    ip: text(),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [
    check("consents_channel_check", sql`${t.channel} in ('email', 'whatsapp', 'sms')`),
    index("consents_contact_channel_idx").on(t.contactId, t.channel, t.createdAt.desc()),
  ],
);

/** One conversation with one contact on one channel (one address). */
export const conversations = pgTable(
  "conversations",
  {
    id: uuid().primaryKey().defaultRandom(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    channel: text({ enum: channels }).notNull(),
    /** The email address or E.164 phone the conversation is with. */
    address: text().notNull(),
    unreadCount: integer("unread_count").notNull().default(0),
    important: boolean().notNull().default(false),
    archived: boolean().notNull().default(false),
    snoozedUntil: timestamp("snoozed_until", tz),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    lastMessageAt: timestamp("last_message_at", tz).notNull().defaultNow(),
    /** WhatsApp's 24-hour customer-service window runs from here. */
    lastInboundAt: timestamp("last_inbound_at", tz),
    lastMessagePreview: text("last_message_preview"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("conversations_channel_address_key").on(t.channel, t.address),
    check("conversations_channel_check", sql`${t.channel} in ('email', 'whatsapp', 'sms')`),
    check("conversations_unread_check", sql`${t.unreadCount} >= 0`),
    index("conversations_inbox_idx").on(t.archived, t.lastMessageAt.desc(), t.id.desc()),
    index("conversations_unread_idx")
      .on(t.lastMessageAt.desc(), t.id.desc())
      .where(sql`${t.unreadCount} > 0 and not ${t.archived}`),
    index("conversations_contact_idx").on(t.contactId),
  ],
);

export type Conversation = typeof conversations.$inferSelect;

export const messageDirections = ["inbound", "outbound"] as const;
export const messageStatuses = [
  "received",
  "queued",
  "sent",
  "delivered",
  "read",
  "failed",
] as const;
export type MessageStatus = (typeof messageStatuses)[number];

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** A message in a conversation, either way. Outbound ones go out through `notifications`. */
export const messages = pgTable(
  "messages",
  {
    id: uuid().primaryKey().defaultRandom(),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    direction: text({ enum: messageDirections }).notNull(),
    body: text().notNull(),
    /** An approved WhatsApp template, when the message is one (name and parameters). */
    template: text(),
    templateParams: jsonb("template_params").$type<string[]>(),
    status: text({ enum: messageStatuses }).notNull(),
    provider: text(),
    providerMessageId: text("provider_message_id"),
    error: text(),
    sentBy: uuid("sent_by").references(() => users.id, { onDelete: "set null" }),
    notificationId: uuid("notification_id"),
    statusAt: timestamp("status_at", tz).notNull().defaultNow(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    /** English full-text search over the body (GIN index). */
    search: tsvector().notNull().generatedAlwaysAs(sql`to_tsvector('english', body)`),
  },
  (t) => [
    check("messages_direction_check", sql`${t.direction} in ('inbound', 'outbound')`),
    check(
      "messages_status_check",
      sql`${t.status} in ('received', 'queued', 'sent', 'delivered', 'read', 'failed')`,
    ),
    uniqueIndex("messages_provider_id_key").on(t.provider, t.providerMessageId),
    uniqueIndex("messages_notification_key").on(t.notificationId),
    index("messages_conversation_idx").on(t.conversationId, t.createdAt.desc(), t.id.desc()),
    index("messages_search_idx").using("gin", t.search),
  ],
);

export type Message = typeof messages.$inferSelect;

export const suppressionReasons = ["stop", "unsubscribe", "hard_bounce", "complaint"] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

/**
 * Addresses that must not be sent to on a channel: STOP on WhatsApp or SMS and hard bounces and
 * complaints stop everything; an email unsubscribe stops only what is not transactional.
 */
export const suppressions = pgTable(
  "suppressions",
  {
    channel: text({ enum: channels }).notNull(),
    address: text().notNull(),
    reason: text({ enum: suppressionReasons }).notNull(),
    /** `all`: nothing is sent; `marketing`: only transactional messages are. */
    scope: text({ enum: ["all", "marketing"] }).notNull(),
    source: text().notNull(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "suppressions_pkey", columns: [t.channel, t.address] }),
    check("suppressions_channel_check", sql`${t.channel} in ('email', 'whatsapp', 'sms')`),
    check(
      "suppressions_reason_check",
      sql`${t.reason} in ('stop', 'unsubscribe', 'hard_bounce', 'complaint')`,
    ),
    check("suppressions_scope_check", sql`${t.scope} in ('all', 'marketing')`),
  ],
);

export const notificationStatuses = [
  "queued",
  "sent",
  "failed",
  "suppressed",
  "cancelled",
] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/**
 * The transactional outbox: one row per outbound message, written in the same transaction as
 * the change that caused it, then handed to the `notifications` Queue after commit. Its id is
 * the provider idempotency key, so a redelivery never reaches the person twice.
 *
 * `variables` holds only what is safe to keep; variables that work as credentials (links with
 * tokens) are AES-GCM sealed in `sealed_variables` under a Worker secret and erased once the
 * row is final.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid().primaryKey().defaultRandom(),
    channel: text({ enum: channels }).notNull(),
    toAddress: text("to_address").notNull(),
    template: text().notNull(),
    variables: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    sealedVariables: text("sealed_variables"),
    transactional: boolean().notNull(),
    status: text({ enum: notificationStatuses }).notNull().default("queued"),
    attempts: integer().notNull().default(0),
    /**
     * Bumped by an admin's retry. Queue messages carry it, so a dead letter from before the
     * retry cannot fail the row again.
     */
    generation: integer().notNull().default(0),
    /** Quiet hours: not before this time. */
    notBefore: timestamp("not_before", tz).notNull().defaultNow(),
    /**
     * When the Queue last got it, or is due to hand it over again (a retry's delay): the sweep
     * re-enqueues a queued row only when this is well past.
     */
    enqueuedAt: timestamp("enqueued_at", tz),
    /** A consumer is delivering it until then: a duplicate delivery waits instead of sending. */
    lockedUntil: timestamp("locked_until", tz),
    /** One notification per cause (e.g. `receipt:<payment>`), whatever retries the cause. */
    dedupeKey: text("dedupe_key"),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    messageId: uuid("message_id"),
    provider: text(),
    providerMessageId: text("provider_message_id"),
    lastError: text("last_error"),
    sentAt: timestamp("sent_at", tz),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("notifications_dedupe_key").on(t.dedupeKey),
    check("notifications_channel_check", sql`${t.channel} in ('email', 'whatsapp', 'sms')`),
    check(
      "notifications_status_check",
      sql`${t.status} in ('queued', 'sent', 'failed', 'suppressed', 'cancelled')`,
    ),
    check("notifications_attempts_check", sql`${t.attempts} >= 0`),
    // Admin list by status, newest first.
    index("notifications_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("notifications_created_idx").on(t.createdAt.desc(), t.id.desc()),
    // The sweep: queued rows due and not recently enqueued.
    index("notifications_due_idx").on(t.notBefore).where(sql`${t.status} = 'queued'`),
    index("notifications_provider_id_idx").on(t.provider, t.providerMessageId),
  ],
);

export type Notification = typeof notifications.$inferSelect;
