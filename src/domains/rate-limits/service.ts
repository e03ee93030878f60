import { runAs } from "../../db/transaction";
import { recordAudit } from "../../lib/audit";
import { topLimitedKeys } from "../../lib/rate-limit/analytics";
import {
  getKeyState,
  type KeyRef,
  type OverrideAction,
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

/** Resets a key's counters; the audit row commits before the object is touched. */
export async function resetRateLimit(ctx: ServiceContext, t: KeyTarget) {
  await runAs(ctx.db, ctx.actor, (tx) =>
    recordAudit(tx, ctx.audit, {
      action: "rate_limit.reset",
      entityType: "rate_limit_key",
      entityId: `${t.policy}:${t.identity}`,
    }),
  );
  return resetKey(refOf(t));
}

export async function overrideRateLimit(
  ctx: ServiceContext,
  t: KeyTarget,
  input: OverrideAction & { expiresAt?: number },
) {
  const before = await getKeyState(refOf(t));
  const result = await setKeyOverride({ ...refOf(t), input, expiresAt: input.expiresAt });
  // The object holds the state, Postgres the record: written right after the change succeeds.
  await runAs(ctx.db, ctx.actor, (tx) =>
    recordAudit(tx, ctx.audit, {
      action: `rate_limit.${input.action === "clear" ? "clear_override" : input.action}`,
      entityType: "rate_limit_key",
      entityId: `${t.policy}:${t.identity}`,
      before: { override: before.override },
      after: { override: result.override },
    }),
  );
  return result;
}

export async function topRateLimited(
  ctx: ServiceContext,
  input: { since?: string; policy?: PolicyName; limit: number },
) {
  const since = input.since ? new Date(input.since) : new Date(Date.now() - 86_400_000);
  const rows = await runAs(ctx.db, ctx.actor, (tx) =>
    topLimitedKeys({ db: tx, since, policy: input.policy, limit: input.limit }),
  );
  return {
    since: since.toISOString(),
    data: rows.map((r) => ({ ...r, lastSeen: r.lastSeen.toISOString() })),
  };
}
