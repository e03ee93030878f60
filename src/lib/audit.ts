import { auditLogs } from "../db/schema";
import type { DbOrTx } from "../db/transaction";
import { hmacHex } from "./hmac";

export interface AuditMeta {
  actorId: string | null;
  actorRole: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** Who scheduled jobs are in audit rows: the system, with no request behind them. */
export const JOB_AUDIT: AuditMeta = {
  actorId: null,
  actorRole: "system",
  requestId: null,
  ip: null,
  userAgent: null,
};

export interface AuditEntry {
  /** `{entity}.{verb}` */
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

const SECRET = /pass(word)?|token|secret|hash|otp|api[-_]?key/i;

/** Snapshots keep their shape but never a secret's value. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET.test(k) ? "[redacted]" : redact(v, depth + 1),
    ]),
  );
}

/** The values of one audit row (for a `batch([...])` on the HTTP path, next to its change). */
export function auditValues(meta: AuditMeta, entry: AuditEntry): typeof auditLogs.$inferInsert {
  return {
    actorId: meta.actorId,
    actorRole: meta.actorRole,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: entry.before ? (redact(entry.before) as Record<string, unknown>) : null,
    after: entry.after ? (redact(entry.after) as Record<string, unknown>) : null,
    requestId: meta.requestId,
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
  };
}

/**
 * Appends one audit row in the caller's transaction: if the change it records rolls back, so
 * does the row, and if this insert fails, the change does too. On the HTTP path, insert
 * `auditValues(…)` in the same `batch` as the change instead.
 */
export async function recordAudit(tx: DbOrTx, meta: AuditMeta, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLogs).values(auditValues(meta, entry));
}

/**
 * What audit rows store instead of an email someone typed (failed logins: often not an
 * account, sometimes a victim's address, never ours to keep): hex HMAC-SHA-256 under
 * AUDIT_HASH_SECRET of the normalised (trimmed, lower-cased) address, 128 bits. The same
 * function turns an admin's search (`?email=`) into the value to look for.
 */
export function auditEmailHmac(secret: string, email: string): Promise<string> {
  return hmacHex(secret, `audit-email|v1|${email.trim().toLowerCase()}`, 16);
}
