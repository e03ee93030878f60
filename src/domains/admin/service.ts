import type { z } from "@hono/zod-openapi";
import { and, count, eq, getTableColumns, gte, lt, type SQL, sql } from "drizzle-orm";
import { auditLogs, errorLogs, type User, users } from "../../db/schema";
import { enterContext, type Reader, runAs, SYSTEM } from "../../db/transaction";
import { auditEmailHmac, recordAudit } from "../../lib/audit";
import { type AuditVerification, verifyAuditChain } from "../../lib/audit-anchor";
import { fleetStats, isolateCache, sumKinds } from "../../lib/cache";
import { forbidden, notFound } from "../../lib/errors";
import { paginate } from "../../lib/paginate";
import { listScope, type PageRequest } from "../../lib/pagination";
import type { ServiceContext } from "../../lib/service-context";
import { revokeAllSessions } from "../auth/service/sessions";
import { auditUser, toUserView } from "../auth/service/views";
import type { AuditLogQuery, ErrorLogQuery } from "./schemas";

const total = async (
  tx: Reader,
  table: typeof users | typeof auditLogs | typeof errorLogs,
  where?: SQL,
) => {
  const [row] = await tx.select({ n: count() }).from(table).where(where);
  return row?.n ?? 0;
};

// ---------------------------------------------------------------------------------------------
// Users

export async function listUsers(
  ctx: ServiceContext,
  input: { page: PageRequest; role?: User["role"]; status?: User["status"]; q?: string },
) {
  const like = input.q ? `%${input.q.toLowerCase().replace(/[\\%_]/g, "\\$&")}%` : undefined;
  const filter = and(
    input.role ? eq(users.role, input.role) : undefined,
    input.status ? eq(users.status, input.status) : undefined,
    like ? sql`lower(${users.fullName} || ' ' || ${users.email}) like ${like}` : undefined,
  );
  // The admin's own context: RLS (users_admin_select) is what lets them see everyone.
  const page = await runAs(ctx.http, ctx.actor, (tx) =>
    paginate<User>({
      request: input.page,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/users", {
        role: input.role,
        status: input.status,
        q: input.q,
      }),
      order: { by: [users.createdAt], id: users.id },
      count: () => total(tx, users, filter),
      rows: ({ where, orderBy, limit, offset, cursorKey }) =>
        tx
          .select({ ...getTableColumns(users), ...(cursorKey ? { cursorKey } : {}) })
          .from(users)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit)
          .offset(offset),
    }),
  );
  return { ...page, data: page.data.map(toUserView) };
}

export async function getUser(ctx: ServiceContext, id: string) {
  const [user] = await runAs(ctx.http, ctx.actor, (q) =>
    q.select().from(users).where(eq(users.id, id)).limit(1),
  );
  if (!user) throw notFound("The user was not found.");
  return toUserView(user);
}

/** Disable or re-enable an account. Disabling ends its sessions and live access tokens. */
export async function setUserStatus(ctx: ServiceContext, id: string, status: User["status"]) {
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const [seen] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
    if (!seen) throw notFound("The user was not found.");
    // Admins manage students; only a super admin manages admins; nobody locks themselves out.
    // The database enforces the same (users_admin_update policy, users_guard_privileged_columns
    // trigger): an admin cannot even lock a super admin's row, hence this check comes first.
    if (id === ctx.actor.userId) throw forbidden("You cannot change your own status.");
    if (seen.role !== "student" && ctx.actor.role !== "super_admin") {
      throw forbidden("Only a super admin can change an admin's status.");
    }
    const [before] = await tx.select().from(users).where(eq(users.id, id)).for("update").limit(1);
    if (!before) throw notFound("The user was not found.");
    if (before.role !== "student" && ctx.actor.role !== "super_admin") {
      throw forbidden("Only a super admin can change an admin's status.");
    }
    if (before.status === status) return toUserView(before);
    const [after] = await tx.update(users).set({ status }).where(eq(users.id, id)).returning();
    if (!after) throw notFound("The user was not found.");
    await recordAudit(tx, ctx.audit, {
      action: status === "disabled" ? "user.disable" : "user.enable",
      entityType: "user",
      entityId: id,
      before: auditUser(before),
      after: auditUser(after),
    });
    if (status === "disabled") {
      // Sessions are server internals (system policy), in the same transaction.
      await enterContext(tx, SYSTEM);
      await revokeAllSessions(tx, id, "disabled_by_admin");
    }
    return toUserView(after);
  });
}

// ---------------------------------------------------------------------------------------------
// Audit and error logs

const since = (col: typeof auditLogs.occurredAt | typeof errorLogs.occurredAt, from?: string) =>
  from ? gte(col, new Date(from)) : undefined;
const until = (col: typeof auditLogs.occurredAt | typeof errorLogs.occurredAt, to?: string) =>
  to ? lt(col, new Date(to)) : undefined;

export async function listAuditLogs(
  ctx: ServiceContext,
  query: z.infer<typeof AuditLogQuery>,
  page: PageRequest,
) {
  // Failed logins keep only a keyed hash of the typed email: search by hashing the same way.
  const emailHmac = query.email
    ? await auditEmailHmac(ctx.config.AUDIT_HASH_SECRET, query.email)
    : undefined;
  const filter = and(
    emailHmac ? sql`${auditLogs.after}->>'emailHmac' = ${emailHmac}` : undefined,
    query.actorId ? eq(auditLogs.actorId, query.actorId) : undefined,
    query.action ? eq(auditLogs.action, query.action) : undefined,
    query.entityType ? eq(auditLogs.entityType, query.entityType) : undefined,
    query.entityId ? eq(auditLogs.entityId, query.entityId) : undefined,
    since(auditLogs.occurredAt, query.from),
    until(auditLogs.occurredAt, query.to),
  );
  const { cursor: _c, limit: _l, page: _p, perPage: _pp, ...filters } = query;
  const result = await runAs(ctx.http, ctx.actor, (tx) =>
    paginate({
      request: page,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/audit-logs", filters),
      order: { by: [auditLogs.occurredAt], id: auditLogs.id },
      count: () => total(tx, auditLogs, filter),
      rows: ({ where, orderBy, limit, offset, cursorKey }) =>
        tx
          .select({ ...auditColumns, ...(cursorKey ? { cursorKey } : {}) })
          .from(auditLogs)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit)
          .offset(offset),
    }),
  );
  return {
    ...result,
    data: result.data.map((r) => ({ ...r, occurredAt: r.occurredAt.toISOString() })),
  };
}

// Everything but the trigger-set hash, which is for audit_verify, not for reading.
const { rowHash: _rowHash, ...auditColumns } = getTableColumns(auditLogs);

/**
 * Recomputes row hashes and the checkpoint chain and checks them against the anchors the
 * maintenance job keeps in KV (src/lib/audit-anchor.ts). Incremental unless `full`.
 */
export async function verifyAuditLog(
  ctx: ServiceContext,
  kv: KVNamespace,
  opts: { full: boolean },
): Promise<AuditVerification> {
  return verifyAuditChain({
    db: ctx.db,
    actor: ctx.actor,
    kv,
    secret: ctx.config.AUDIT_ANCHOR_SECRET,
    full: opts.full,
  });
}

export async function listErrorLogs(
  ctx: ServiceContext,
  query: z.infer<typeof ErrorLogQuery>,
  page: PageRequest,
) {
  const filter = and(
    query.severity ? eq(errorLogs.severity, query.severity) : undefined,
    query.code ? eq(errorLogs.code, query.code) : undefined,
    since(errorLogs.occurredAt, query.from),
    until(errorLogs.occurredAt, query.to),
  );
  const { cursor: _c, limit: _l, page: _p, perPage: _pp, ...filters } = query;
  const result = await runAs(ctx.http, ctx.actor, (tx) =>
    paginate({
      request: page,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/error-logs", filters),
      order: { by: [errorLogs.occurredAt], id: errorLogs.id },
      count: () => total(tx, errorLogs, filter),
      rows: ({ where, orderBy, limit, offset, cursorKey }) =>
        tx
          .select({ ...errorColumns, ...(cursorKey ? { cursorKey } : {}) })
          .from(errorLogs)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit)
          .offset(offset),
    }),
  );
  return {
    ...result,
    data: result.data.map((r) => ({ ...r, occurredAt: r.occurredAt.toISOString() })),
  };
}

const errorColumns = getTableColumns(errorLogs);

export async function errorLogStats(ctx: ServiceContext, input: { from?: string; to?: string }) {
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 86_400_000);
  const window = and(gte(errorLogs.occurredAt, from), lt(errorLogs.occurredAt, to));
  // Both counts in one request, one transaction: they agree with each other.
  return runAs(ctx.http, ctx.actor, async (q) => {
    const [byCode, bySeverity] = await q.batch([
      q
        .select({ code: errorLogs.code, count: count() })
        .from(errorLogs)
        .where(window)
        .groupBy(errorLogs.code)
        .orderBy(sql`count(*) desc`, errorLogs.code),
      q
        .select({ severity: errorLogs.severity, count: count() })
        .from(errorLogs)
        .where(window)
        .groupBy(errorLogs.severity)
        .orderBy(sql`count(*) desc`),
    ]);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      total: byCode.reduce((n, r) => n + r.count, 0),
      byCode,
      bySeverity,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Cache

/** Cache counters: this isolate's, live, and the sum over every isolate's last report in KV. */
export async function cacheStats(kv: KVNamespace) {
  const { stats, memory } = isolateCache;
  const self = stats.snapshot();
  const fleet = await fleetStats(kv, self);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    isolate: {
      id: self.isolateId,
      startedAt: iso(self.startedAt),
      memory: {
        entries: memory.size,
        bytes: memory.bytes,
        maxEntries: memory.maxEntries,
        maxBytes: memory.maxBytes,
      },
      total: sumKinds(Object.values(self.kinds)),
      kinds: self.kinds,
    },
    fleet: {
      isolates: fleet.isolates,
      since: iso(fleet.since),
      oldestReportAt: fleet.oldestReportAt === null ? null : iso(fleet.oldestReportAt),
      complete: fleet.complete,
      unreadable: fleet.unreadable,
      total: sumKinds(Object.values(fleet.kinds)),
      kinds: fleet.kinds,
    },
  };
}
