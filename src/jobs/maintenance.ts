import { sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { runAs, SYSTEM } from "../db/transaction";
import { loadConfig } from "../env";

export interface MaintenanceReport {
  errorLogsDeleted: number;
  sessionsDeleted: number;
  refreshTokensDeleted: number;
  oneTimeTokensDeleted: number;
  rateLimitCountersDeleted: number;
  auditCheckpoint: { fromId: number; toId: number; chainHash: string } | null;
}

/**
 * The scheduled housekeeping (cron in wrangler.toml): retention of error logs, expired
 * sessions and tokens, rate-limit counters, and sealing settled audit rows into the checkpoint chain. Refresh tokens
 * are kept while their session lives, so reuse of a rotated token is still detected.
 */
export async function runMaintenance(env: object): Promise<MaintenanceReport> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`invalid configuration: ${loaded.issues.join("; ")}`);
  const config = loaded.config;
  const { db, close } = createDb({
    url: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    timeoutMs: Math.max(config.DB_QUERY_TIMEOUT_MS, 15_000),
  });
  try {
    return await runAs(db, SYSTEM, async (tx) => {
      const count = async (query: ReturnType<typeof sql>) =>
        (await tx.execute(query)).rowCount ?? 0;
      const errorLogsDeleted = await count(
        sql`delete from error_logs where occurred_at < now() - make_interval(days => ${config.ERROR_LOG_RETENTION_DAYS})`,
      );
      const refreshTokensDeleted = await count(
        sql`delete from refresh_tokens where expires_at < now() - interval '1 day'`,
      );
      const sessionsDeleted = await count(
        sql`delete from sessions where expires_at < now() - interval '1 day'
              or revoked_at < now() - interval '30 days'`,
      );
      const oneTimeTokensDeleted = await count(
        sql`delete from one_time_tokens where expires_at < now() - interval '7 days'`,
      );
      // Per-minute limiter counters (user ids, hashed IPs) are kept 30 days: personal data.
      const rateLimitCountersDeleted = await count(
        sql`delete from rate_limit_counters where bucket_start < now() - interval '30 days'`,
      );
      const sealed = await tx.execute<{ from_id: string; to_id: string; chain_hash: string }>(
        sql`select from_id, to_id, chain_hash from audit_seal()`,
      );
      const cp = sealed.rows[0];
      const auditCheckpoint = cp
        ? { fromId: Number(cp.from_id), toId: Number(cp.to_id), chainHash: cp.chain_hash }
        : null;
      // The chain head in the Worker's logs is an anchor outside the database: a rewrite of
      // audit_checkpoints by someone with database access would no longer match it.
      if (auditCheckpoint) {
        console.info(
          JSON.stringify({ level: "info", msg: "audit checkpoint sealed", ...auditCheckpoint }),
        );
      }
      return {
        errorLogsDeleted,
        sessionsDeleted,
        refreshTokensDeleted,
        oneTimeTokensDeleted,
        rateLimitCountersDeleted,
        auditCheckpoint,
      };
    });
  } finally {
    await close();
  }
}
