import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tz } from "./columns";

/**
 * Append-only record of admin mutations and security events. `row_hash` is computed by a
 * database trigger over the row's content; `audit_checkpoints` seal ranges of rows into a hash
 * chain, so alterations, deletions and out-of-order inserts are detectable without every write
 * serialising on a "previous hash" row.
 */
export const auditLogs = pgTable(
  "audit_logs",
  {
    /**
     * Assigned by the audit_logs_set_hash trigger from audit_logs_id_seq (migration 0010); 0 means
     * "assign one". Any other value is refused, so no writer can choose where a row lands in
     * the checkpoint chain (the old identity column allowed OVERRIDING SYSTEM VALUE).
     */
    id: bigint({ mode: "number" }).primaryKey().default(0),
    occurredAt: timestamp("occurred_at", tz).notNull().defaultNow(),
    actorId: uuid("actor_id"),
    actorRole: text("actor_role"),
    /** `{entity}.{verb}`, e.g. `user.disable`, `auth.login_failed`. */
    action: text().notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    before: jsonb(),
    after: jsonb(),
    requestId: text("request_id"),
    ip: text(),
    userAgent: text("user_agent"),
    /** Set by the audit_logs_hash trigger; never by the application. */
    rowHash: text("row_hash").notNull().default(""),
  },
  (t) => [
    // Admin list newest first, and time-range filters.
    index("audit_logs_occurred_at_idx").on(t.occurredAt.desc(), t.id.desc()),
    index("audit_logs_actor_idx").on(t.actorId, t.occurredAt.desc()),
    index("audit_logs_action_idx").on(t.action, t.occurredAt.desc()),
    index("audit_logs_entity_idx").on(t.entityType, t.entityId, t.occurredAt.desc()),
    // "Was this email attacked?": failed logins store a keyed hash of the email, never the email.
    index("audit_logs_email_hmac_idx")
      .on(sql`(${t.after}->>'emailHmac')`)
      .where(sql`(${t.after}->>'emailHmac') is not null`),
  ],
);

/** A sealed range of audit rows: chain_hash = sha256(prev_hash || row hashes in id order). */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  fromId: bigint("from_id", { mode: "number" }).notNull(),
  toId: bigint("to_id", { mode: "number" }).notNull(),
  rowCount: integer("row_count").notNull(),
  prevHash: text("prev_hash").notNull(),
  chainHash: text("chain_hash").notNull(),
  sealedAt: timestamp("sealed_at", tz).notNull().defaultNow(),
});

export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;
export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;
