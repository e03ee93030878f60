import { type SQL, sql } from "drizzle-orm";
import { type Database, dbFromConfig, httpFromConfig } from "../db/client";
import { runAs, SYSTEM } from "../db/transaction";
import { invalidateCoursePage } from "../domains/catalogue/public";
import { expireHoldsBatch } from "../domains/enrolments/public";
import type { ReconcileReport } from "../domains/payments/public";
import { reconcilePayments } from "../domains/payments/public";
import { type AppConfig, loadConfig } from "../env";
import { JOB_AUDIT } from "../lib/audit";
import { anchorCheckpoints } from "../lib/audit-anchor";
import { Cache } from "../lib/cache";
import { createLogger } from "../lib/logger";
import { type NotificationJob, Outbox } from "../lib/notifications/outbox";
import { createPaymentsProvider } from "../providers/instamojo";

/** Rows deleted per statement (and per transaction): short locks, bounded WAL per commit. */
export const RETENTION_BATCH = 5_000;
/** Batches per step per run: a backlog drains over several runs instead of one long one. */
export const RETENTION_MAX_BATCHES = 20;
/**
 * Legacy `email_outbox` rows (recipient, template, status) are kept this long; nothing writes
 * the table any more (notifications go through `notifications`), so this only drains it.
 */
export const EMAIL_OUTBOX_RETENTION_DAYS = 30;
/** Webhook dedup rows: providers stop retrying within days (Zoom after about 85 minutes). */
export const WEBHOOK_EVENTS_RETENTION_DAYS = 30;

export interface StepFailure {
  step: string;
  error: string;
}

export interface MaintenanceReport {
  errorLogsDeleted: number;
  sessionsDeleted: number;
  refreshTokensDeleted: number;
  oneTimeTokensDeleted: number;
  rateLimitCountersDeleted: number;
  emailOutboxDeleted: number;
  idempotencyKeysDeleted: number;
  webhookEventsDeleted: number;
  /** Seat holds (pending_payment) past their expiry, set to `expired`. */
  enrolmentHoldsExpired: number;
  /** Open checkouts, refunds and receipts settled with Instamojo (src/domains/payments). */
  payments: ReconcileReport | null;
  auditCheckpoint: { fromId: number; toId: number; chainHash: string } | null;
  /** Checkpoints anchored in KV by this run. */
  auditAnchored: number;
  /** Steps that stopped at the batch limit with rows left: the next run continues. */
  backlog: string[];
  /** Steps that failed; the others ran regardless. */
  failures: StepFailure[];
}

/** Thrown by the scheduled handler after a run with failed steps, so Sentry records it. */
export class MaintenanceError extends Error {
  constructor(
    readonly failures: StepFailure[],
    options?: { cause?: unknown },
  ) {
    super(
      `maintenance: ${failures.length} step(s) failed: ${failures
        .map((f) => `${f.step} (${f.error})`)
        .join("; ")}`,
      options,
    );
    this.name = "MaintenanceError";
  }
}

interface RetentionStep {
  name: keyof Pick<
    MaintenanceReport,
    | "errorLogsDeleted"
    | "refreshTokensDeleted"
    | "sessionsDeleted"
    | "oneTimeTokensDeleted"
    | "rateLimitCountersDeleted"
    | "emailOutboxDeleted"
    | "idempotencyKeysDeleted"
    | "webhookEventsDeleted"
  >;
  /** One batch: deletes at most `limit` rows and reports how many. */
  batch: (limit: number) => SQL;
}

// Each batch picks its rows by key (ctid for the table without a single-column key), so one
// statement deletes at most `limit` rows however many are due.
const retentionSteps = (config: AppConfig): RetentionStep[] => [
  {
    name: "errorLogsDeleted",
    batch: (limit) => sql`delete from error_logs where id in (
      select id from error_logs
       where occurred_at < now() - make_interval(days => ${config.ERROR_LOG_RETENTION_DAYS})
       limit ${limit})`,
  },
  // Refresh tokens go before their sessions: while a session lives, reuse of a rotated token
  // is still detected.
  {
    name: "refreshTokensDeleted",
    batch: (limit) => sql`delete from refresh_tokens where id in (
      select id from refresh_tokens where expires_at < now() - interval '1 day' limit ${limit})`,
  },
  {
    name: "sessionsDeleted",
    batch: (limit) => sql`delete from sessions where id in (
      select id from sessions
       where expires_at < now() - interval '1 day' or revoked_at < now() - interval '30 days'
       limit ${limit})`,
  },
  {
    name: "oneTimeTokensDeleted",
    batch: (limit) => sql`delete from one_time_tokens where id in (
      select id from one_time_tokens where expires_at < now() - interval '7 days' limit ${limit})`,
  },
  // Per-minute limiter counters (user ids, hashed IPs) are kept 30 days: personal data.
  {
    name: "rateLimitCountersDeleted",
    batch: (limit) => sql`delete from rate_limit_counters where ctid = any(array(
      select ctid from rate_limit_counters
       where bucket_start < now() - interval '30 days' limit ${limit}))`,
  },
  // Recipients are personal data; the rows are delivery records, not an archive. Legacy: the
  // table is no longer written (src/db/schema/email-outbox.ts).
  {
    name: "emailOutboxDeleted",
    batch: (limit) => sql`delete from email_outbox where id in (
      select id from email_outbox
       where created_at < now() - make_interval(days => ${EMAIL_OUTBOX_RETENTION_DAYS})
       limit ${limit})`,
  },
  // Idempotency records (stored responses) live 24 hours (src/lib/idempotency); a key past
  // its expiry is already free to reuse, so this only reclaims space.
  {
    name: "idempotencyKeysDeleted",
    batch: (limit) => sql`delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where expires_at < now() limit ${limit}))`,
  },
  // A redelivery older than this is not a retry any more; the composite key has no single id.
  {
    name: "webhookEventsDeleted",
    batch: (limit) => sql`delete from webhook_events where ctid = any(array(
      select ctid from webhook_events
       where received_at < now() - make_interval(days => ${WEBHOOK_EVENTS_RETENTION_DAYS})
       limit ${limit}))`,
  },
];

export interface MaintenanceOptions {
  batchSize?: number;
  maxBatches?: number;
}

const describe = (err: unknown) => {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; depth++) {
    // Drizzle's "Failed query" message carries the SQL and its parameters: keep the driver's.
    if (!e.message.startsWith("Failed query")) parts.push(`${e.name}: ${e.message}`);
    e = e.cause;
  }
  return (parts.join(" <- ") || String(err)).slice(0, 500);
};

/**
 * The scheduled housekeeping (cron in wrangler.toml): retention of error logs, expired
 * sessions and tokens, rate-limit counters, outbox rows, idempotency records and webhook
 * dedup rows; expiring lapsed enrolment holds; sealing settled audit rows into
 * the checkpoint chain; anchoring new checkpoints in KV.
 *
 * Every step is independent: each retention batch is its own short transaction, and a step
 * that fails is recorded in `failures` while the rest still run. Throws only when it cannot
 * start (configuration).
 */
export async function runMaintenance(
  env: object,
  opts: MaintenanceOptions = {},
): Promise<MaintenanceReport> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`invalid configuration: ${loaded.issues.join("; ")}`);
  const config = loaded.config;
  const batchSize = opts.batchSize ?? RETENTION_BATCH;
  const maxBatches = opts.maxBatches ?? RETENTION_MAX_BATCHES;
  const { db, close } = dbFromConfig(config, { minTimeoutMs: 15_000 });
  const report: MaintenanceReport = {
    errorLogsDeleted: 0,
    sessionsDeleted: 0,
    refreshTokensDeleted: 0,
    oneTimeTokensDeleted: 0,
    rateLimitCountersDeleted: 0,
    emailOutboxDeleted: 0,
    idempotencyKeysDeleted: 0,
    webhookEventsDeleted: 0,
    enrolmentHoldsExpired: 0,
    payments: null,
    auditCheckpoint: null,
    auditAnchored: 0,
    backlog: [],
    failures: [],
  };
  const attempt = async (step: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      report.failures.push({ step, error: describe(err) });
    }
  };
  try {
    for (const step of retentionSteps(config)) {
      await attempt(step.name, async () => {
        for (let i = 0; i < maxBatches; i++) {
          const deleted = await deleteBatch(db, step.batch(batchSize));
          report[step.name] += deleted;
          if (deleted < batchSize) return;
        }
        report.backlog.push(step.name);
      });
    }
    const kv = (env as { CACHE?: KVNamespace }).CACHE;
    // An expired hold stops counting toward capacity the moment it expires (batch_seats_taken):
    // this step only tidies its status (and audits it) and refreshes the course pages, so every
    // 15 minutes is often enough. Same batch bounds as retention.
    await attempt("enrolmentHoldsExpired", async () => {
      const slugs = new Set<string>();
      let drained = false;
      for (let i = 0; i < maxBatches && !drained; i++) {
        const { expired, slugs: touched } = await expireHoldsBatch(db, batchSize);
        report.enrolmentHoldsExpired += expired;
        for (const slug of touched) slugs.add(slug);
        drained = expired < batchSize;
      }
      if (!drained) report.backlog.push("enrolmentHoldsExpired");
      if (slugs.size > 0) {
        if (!kv) throw new Error("no CACHE binding: course pages were not invalidated");
        const pending: Promise<unknown>[] = [];
        const cache = new Cache({ kv, waitUntil: (work) => pending.push(work) });
        await Promise.all([...slugs].map((slug) => invalidateCoursePage({ cache }, slug)));
        await Promise.allSettled(pending);
      }
    });
    await attempt("payments", async () => {
      if (!kv) throw new Error("no CACHE binding for the payments provider");
      report.payments = await reconcileWithProvider(env, config, db, kv);
    });
    await attempt("auditSeal", async () => {
      report.auditCheckpoint = await sealAudit(db);
    });
    // Anchors whatever is sealed and not yet anchored, including checkpoints of earlier runs
    // whose KV write failed; only the Worker's key can make them.
    await attempt("auditAnchor", async () => {
      if (!kv) throw new Error("no CACHE binding to keep audit anchors in");
      report.auditAnchored = (await anchorCheckpoints(db, kv, config.AUDIT_ANCHOR_SECRET)).anchored;
    });
    return report;
  } finally {
    await close();
  }
}

async function deleteBatch(db: Database, statement: SQL): Promise<number> {
  return runAs(db, SYSTEM, async (tx) => (await tx.execute(statement)).rowCount ?? 0);
}

async function sealAudit(db: Database): Promise<MaintenanceReport["auditCheckpoint"]> {
  const sealed = await runAs(db, SYSTEM, (tx) =>
    tx.execute<{ from_id: string; to_id: string; chain_hash: string }>(
      sql`select from_id, to_id, chain_hash from audit_seal()`,
    ),
  );
  const cp = sealed.rows[0];
  if (!cp) return null;
  const checkpoint = {
    fromId: Number(cp.from_id),
    toId: Number(cp.to_id),
    chainHash: cp.chain_hash,
  };
  console.info(JSON.stringify({ level: "info", msg: "audit checkpoint sealed", ...checkpoint }));
  return checkpoint;
}

/**
 * The payments step: its own provider, outbox and background work, awaited here. What it
 * queues (receipts and refund notices still due, those of payments it settles) is handed to
 * the notifications Queue at the end, after every transaction that added it committed.
 */
async function reconcileWithProvider(
  env: object,
  config: AppConfig,
  db: Database,
  kv: KVNamespace,
): Promise<ReconcileReport> {
  const http = httpFromConfig(config);
  const background: Promise<unknown>[] = [];
  const logger = createLogger(config.LOG_LEVEL, { job: "maintenance" });
  const queue = (env as { NOTIFICATIONS?: Queue<NotificationJob> }).NOTIFICATIONS;
  if (!queue) throw new Error("no NOTIFICATIONS binding to queue receipts and notices on");
  const outbox = new Outbox({
    secret: config.JWT_SECRET,
    queue,
    warn: (msg, fields) => logger.warn(msg, fields),
  });
  try {
    const report = await reconcilePayments({
      db,
      http,
      config,
      payments: createPaymentsProvider({
        config,
        kv,
        devBaseUrl: config.API_PUBLIC_URL ?? config.APP_BASE_URL,
      }),
      audit: JOB_AUDIT,
      waitUntil: (work) => background.push(work),
      // The job's connection stays open until its background work is done (awaited below).
      detached: (work) => background.push(work(db)),
      outbox,
    });
    await Promise.allSettled(background);
    return report;
  } finally {
    // A row whose hand-over fails here is found by the every-minute sweep.
    await outbox.flush(http);
  }
}
