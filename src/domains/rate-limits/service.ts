import { eq, sql } from "drizzle-orm";
import { users } from "../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../db/transaction";
import { recordAudit } from "../../lib/audit";
import { forbidden } from "../../lib/errors";
import { topLimitedKeys } from "../../lib/rate-limit/analytics";
import { clientAddressKey } from "../../lib/rate-limit/middleware";
import {
  getKeyState,
  type KeyRef,
  type OverrideAction,
  putOverride,
  resetKey,
  setKeyOverride,
} from "../../lib/rate-limit/ops";
import type { PolicyName } from "../../lib/rate-limit/policies";
import { resolvePolicies } from "../../lib/rate-limit/policies";
import type { ServiceContext } from "../../lib/service-context";

export interface KeyTarget {
  namespace: KeyRef["namespace"];
  policies: string | undefined;
  policy: PolicyName;
  identity: string;
}

const refOf = (t: KeyTarget): KeyRef => ({
  namespace: t.namespace,
  policy: resolvePolicies(t.policies)[t.policy],
  identity: t.identity,
});

export const rateLimitState = (t: KeyTarget) => getKeyState(refOf(t));

/**
 * Who may change a key: super admins only (the routes say so), never on their own key (user id
 * or their own address) and never on another super admin's user key: limits are no way around
 * the role hierarchy.
 */
async function assertMayChange(ctx: ServiceContext, t: KeyTarget) {
  const own = [`user:${ctx.actor.userId}`, `ip:${clientAddressKey(ctx.audit.ip ?? undefined)}`];
  if (own.includes(t.identity)) throw forbidden("You cannot change the limits on your own key.");
  const userId = /^user:(.+)$/.exec(t.identity)?.[1];
  if (!userId) return;
  const [target] = await runAs(ctx.http, SYSTEM, (q) =>
    q.select({ role: users.role }).from(users).where(eq(users.id, userId)).limit(1),
  );
  if (target?.role === "super_admin") {
    throw forbidden("A super admin's limits cannot be changed.");
  }
}

/**
 * Runs a change to a key and its audit row in one transaction that holds a lock on the key, so
 * concurrent changes to one key are applied and audited in the same order. The object is
 * changed first and the row written after it (what happened, not what was meant); if the row
 * cannot be written, `undo` puts the object back and the request fails.
 */
async function auditedChange<T>(
  ctx: ServiceContext,
  t: KeyTarget,
  change: (tx: Transaction) => Promise<{ result: T; audit: Parameters<typeof recordAudit>[2] }>,
  undo: () => Promise<unknown>,
): Promise<T> {
  await assertMayChange(ctx, t);
  return runAs(ctx.db, ctx.actor, async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`rate_limit:${t.policy}:${t.identity}`}, 0))`,
    );
    const { result, audit } = await change(tx);
    try {
      await recordAudit(tx, ctx.audit, audit);
    } catch (err) {
      await undo().catch(() => undefined);
      throw err;
    }
    return result;
  });
}

/** Resets a key's counters (audited). A failed audit cannot restore counters: it is rare. */
export async function resetRateLimit(ctx: ServiceContext, t: KeyTarget) {
  return auditedChange(
    ctx,
    t,
    async () => ({
      result: await resetKey(refOf(t)),
      audit: {
        action: "rate_limit.reset",
        entityType: "rate_limit_key",
        entityId: `${t.policy}:${t.identity}`,
      },
    }),
    async () => undefined,
  );
}

export async function overrideRateLimit(
  ctx: ServiceContext,
  t: KeyTarget,
  input: OverrideAction & { expiresAt?: number },
) {
  let before: Awaited<ReturnType<typeof getKeyState>> | undefined;
  return auditedChange(
    ctx,
    t,
    async () => {
      before = await getKeyState(refOf(t));
      const result = await setKeyOverride({ ...refOf(t), input, expiresAt: input.expiresAt });
      return {
        result,
        audit: {
          action: `rate_limit.${input.action === "clear" ? "clear_override" : input.action}`,
          entityType: "rate_limit_key",
          entityId: `${t.policy}:${t.identity}`,
          before: { override: before.override },
          after: { override: result.override },
        },
      };
    },
    () => putOverride(refOf(t), before?.override ?? null),
  );
}
export async function topRateLimited(
  ctx: ServiceContext,
  input: { since?: string; policy?: PolicyName; limit: number },
) {
  const since = input.since ? new Date(input.since) : new Date(Date.now() - 86_400_000);
  const rows = await runAs(ctx.http, ctx.actor, (q) =>
    topLimitedKeys({ db: q, since, policy: input.policy, limit: input.limit }),
  );
  return {
    since: since.toISOString(),
    data: rows.map((r) => ({ ...r, lastSeen: r.lastSeen.toISOString() })),
  };
}
