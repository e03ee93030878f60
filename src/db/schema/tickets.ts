import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps, tz } from "./columns";
import { enrolments } from "./enrolments";
import { payments } from "./payments";
import { users } from "./users";

export const ticketStatuses = ["open", "pending", "on_hold", "solved", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

export const ticketPriorities = ["urgent", "high", "normal", "low"] as const;
export type TicketPriorityValue = (typeof ticketPriorities)[number];

export const ticketCategories = [
  "payment",
  "class",
  "recording",
  "certificate",
  "account",
  "other",
] as const;
export type TicketCategory = (typeof ticketCategories)[number];

export const slaStates = ["ok", "at_risk", "breached"] as const;
export type SlaStateValue = (typeof slaStates)[number];

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * A support ticket, opened by a student about their own account (optionally one of their
 * enrolments or payments). `number` is `TKT-<year>-<seq>`, from `ticket_counters` per IST
 * calendar year. The SLA columns are kept by the service on every change that moves a clock
 * (status, priority, first response) so the scheduled job only compares them with now:
 * `*_due_at` / `*_at_risk_at` are null while that clock is stopped or done; `*_sla` is what
 * the job last recorded and notified (it only moves ok → at_risk → breached).
 */
export const tickets = pgTable(
  "tickets",
  {
    id: uuid().primaryKey().defaultRandom(),
    number: text().notNull(),
    year: smallint().notNull(),
    seq: integer().notNull(),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    subject: text().notNull(),
    category: text({ enum: ticketCategories }).notNull(),
    priority: text({ enum: ticketPriorities }).notNull().default("normal"),
    status: text({ enum: ticketStatuses }).notNull().default("open"),
    enrolmentId: uuid("enrolment_id").references(() => enrolments.id, { onDelete: "set null" }),
    paymentId: uuid("payment_id").references(() => payments.id, { onDelete: "set null" }),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    firstRespondedAt: timestamp("first_responded_at", tz),
    solvedAt: timestamp("solved_at", tz),
    closedAt: timestamp("closed_at", tz),
    firstResponseDueAt: timestamp("first_response_due_at", tz),
    firstResponseAtRiskAt: timestamp("first_response_at_risk_at", tz),
    firstResponseSla: text("first_response_sla", { enum: slaStates }).notNull().default("ok"),
    resolutionDueAt: timestamp("resolution_due_at", tz),
    resolutionAtRiskAt: timestamp("resolution_at_risk_at", tz),
    resolutionSla: text("resolution_sla", { enum: slaStates }).notNull().default("ok"),
    rating: smallint(),
    ratingComment: text("rating_comment"),
    ratedAt: timestamp("rated_at", tz),
    lastActivityAt: timestamp("last_activity_at", tz).notNull().defaultNow(),
    /** English full-text search over the subject (the bodies are in ticket_messages). */
    search: tsvector().notNull().generatedAlwaysAs(sql`to_tsvector('english', subject)`),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("tickets_number_key").on(t.number),
    uniqueIndex("tickets_year_seq_key").on(t.year, t.seq),
    check(
      "tickets_status_check",
      sql`${t.status} in ('open', 'pending', 'on_hold', 'solved', 'closed')`,
    ),
    check("tickets_priority_check", sql`${t.priority} in ('urgent', 'high', 'normal', 'low')`),
    check(
      "tickets_category_check",
      sql`${t.category} in ('payment', 'class', 'recording', 'certificate', 'account', 'other')`,
    ),
    check(
      "tickets_sla_check",
      sql`${t.firstResponseSla} in ('ok', 'at_risk', 'breached') and ${t.resolutionSla} in ('ok', 'at_risk', 'breached')`,
    ),
    // At least six digits: the millionth ticket of a year still fits.
    check(
      "tickets_number_check",
      sql`${t.number} = format('TKT-%s-%s', ${t.year}, lpad(${t.seq}::text, greatest(6, length(${t.seq}::text)), '0'))`,
    ),
    check("tickets_rating_check", sql`${t.rating} between 1 and 5`),
    check("tickets_rated_check", sql`(${t.rating} is null) = (${t.ratedAt} is null)`),
    // The student's list, and the admins' (newest first, by status, assignee, priority).
    index("tickets_student_created_idx").on(t.studentId, t.createdAt.desc(), t.id.desc()),
    index("tickets_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("tickets_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("tickets_assignee_created_idx").on(t.assigneeId, t.createdAt.desc(), t.id.desc()),
    // The SLA job: clocks whose at-risk or due instant has come and whose mark is behind it.
    // A stopped clock with time left has null instants, so it drops out.
    index("tickets_first_response_risk_idx")
      .on(t.firstResponseAtRiskAt)
      .where(sql`${t.firstResponseSla} = 'ok'`),
    index("tickets_first_response_due_idx")
      .on(t.firstResponseDueAt)
      .where(sql`${t.firstResponseSla} <> 'breached'`),
    index("tickets_resolution_risk_idx")
      .on(t.resolutionAtRiskAt)
      .where(sql`${t.resolutionSla} = 'ok'`),
    index("tickets_resolution_due_idx")
      .on(t.resolutionDueAt)
      .where(sql`${t.resolutionSla} <> 'breached'`),
    // Auto-close of solved tickets after 7 days.
    index("tickets_solved_idx").on(t.solvedAt).where(sql`${t.status} = 'solved'`),
    index("tickets_search_idx").using("gin", t.search),
  ],
);

export type Ticket = typeof tickets.$inferSelect;

/** The next number per IST calendar year: one short autocommit upsert per ticket. */
export const ticketCounters = pgTable("ticket_counters", {
  year: smallint().primaryKey(),
  last: integer().notNull(),
});

/**
 * The thread: the student's message that opened the ticket, replies either way, and admins'
 * internal notes (`internal`), which no student route or policy ever shows a student.
 */
export const ticketMessages = pgTable(
  "ticket_messages",
  {
    id: uuid().primaryKey().defaultRandom(),
    ticketId: uuid("ticket_id")
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    authorId: uuid("author_id").references(() => users.id, { onDelete: "set null" }),
    authorRole: text("author_role", { enum: ["student", "admin"] }).notNull(),
    internal: boolean().notNull().default(false),
    /** Sanitised HTML, as shown. */
    bodyHtml: text("body_html").notNull(),
    /** The same as plain text: search, notifications. */
    bodyText: text("body_text").notNull(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    search: tsvector().notNull().generatedAlwaysAs(sql`to_tsvector('english', body_text)`),
  },
  (t) => [
    check("ticket_messages_author_role_check", sql`${t.authorRole} in ('student', 'admin')`),
    check("ticket_messages_note_check", sql`not ${t.internal} or ${t.authorRole} = 'admin'`),
    index("ticket_messages_ticket_idx").on(t.ticketId, t.createdAt, t.id),
    index("ticket_messages_search_idx").using("gin", t.search),
  ],
);

export type TicketMessage = typeof ticketMessages.$inferSelect;

/** The timeline: creation, status, priority and assignee changes, SLA marks, rating. */
export const ticketEvents = pgTable(
  "ticket_events",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    ticketId: uuid("ticket_id")
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [index("ticket_events_ticket_idx").on(t.ticketId, t.createdAt, t.id)],
);

export type TicketEvent = typeof ticketEvents.$inferSelect;

/** A file on a ticket, kept in R2 under `object_key`; type and name checked at upload. */
export const ticketAttachments = pgTable(
  "ticket_attachments",
  {
    id: uuid().primaryKey().defaultRandom(),
    ticketId: uuid("ticket_id")
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    uploadedBy: uuid("uploaded_by").references(() => users.id, { onDelete: "set null" }),
    fileName: text("file_name").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text().notNull(),
    objectKey: text("object_key").notNull(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ticket_attachments_object_key").on(t.objectKey),
    check("ticket_attachments_size_check", sql`${t.sizeBytes} between 1 and 10485760`),
    index("ticket_attachments_ticket_idx").on(t.ticketId, t.createdAt),
  ],
);

export type TicketAttachment = typeof ticketAttachments.$inferSelect;
