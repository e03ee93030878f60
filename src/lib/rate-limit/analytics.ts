/**
 * Rate-limit analytics: allowed and denied counts per policy, key and minute, aggregated in an
 * isolate-level buffer and written to `rate_limit_counters` in batches off the request path.
 *
 * Writes: at most one flush per `flushIntervalMs` per isolate, or sooner when the buffer holds
 * `maxEntries` rows; one multi-row upsert in one transaction per flush. Counts of a failed flush
 * are merged back (up to `maxRetained` rows) for the next one. Counts still buffered when an
 * isolate is evicted are lost: these are statistics, not the limiter's state.
 *
 * Privacy: user ids are stored as `user:<id>`; IPs (personal data under India's DPDP Act) as
 * `ip:<HMAC-SHA-256(salt, ip), 128 bits hex>`. Operators can still find a suspect IP among the
 * most limited keys by hashing it with `analyticsKeyFor`, but the table alone reveals no IP.
 */
import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { DbHandle } from "../../db/client";
import { rateLimitCounters } from "../../db/schema";
import { runAs, SYSTEM } from "../../db/transaction";

const MINUTE = 60_000;

export interface AnalyticsTarget {
  /** Opens a short-lived database handle for one flush (e.g. `() => createDb({...})`). */
  connect: () => DbHandle;
  /** Secret salt for IP hashing; rotate it to unlink old rows from new ones. */
  ipSalt: string;
}

export interface AnalyticsOptions {
  flushIntervalMs?: number;
  maxEntries?: number;
  /** Rows kept across failed flushes; beyond this the oldest counts are dropped. */
  maxRetained?: number;
  clock?: () => number;
  onFlushError?: (err: unknown) => void;
}

export interface FlushResult {
  ok: boolean;
  rows: number;
}

interface Counter {
  policy: string;
  identity: string;
  bucketStart: number;
  allowed: number;
  denied: number;
}

export class RateLimitAnalytics {
  private buffer = new Map<string, Counter>();
  private flushing: Promise<FlushResult> | null = null;
  private lastFlushAt: number | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxEntries: number;
  private readonly maxRetained: number;
  private readonly clock: () => number;
  private readonly onFlushError: (err: unknown) => void;

  constructor(opts: AnalyticsOptions = {}) {
    this.flushIntervalMs = opts.flushIntervalMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 500;
    this.maxRetained = opts.maxRetained ?? 10_000;
    this.clock = opts.clock ?? Date.now;
    this.onFlushError = opts.onFlushError ?? logFlushError;
  }

  get size(): number {
    return this.buffer.size;
  }

  record(policy: string, identity: string, allowed: boolean) {
    const now = this.clock();
    // The interval counts from the first unflushed record, so a quiet isolate batches too.
    this.lastFlushAt ??= now;
    const bucketStart = now - (now % MINUTE);
    const id = `${policy}\u0000${identity}\u0000${bucketStart}`;
    let counter = this.buffer.get(id);
    if (!counter) {
      counter = { policy, identity, bucketStart, allowed: 0, denied: 0 };
      this.buffer.set(id, counter);
    }
    if (allowed) counter.allowed++;
    else counter.denied++;
  }

  /** Starts a flush when one is due and none is running; hands it to `waitUntil`. */
  maybeFlush(
    target: AnalyticsTarget,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<FlushResult> | undefined {
    if (this.flushing || this.buffer.size === 0) return undefined;
    const due =
      this.buffer.size >= this.maxEntries ||
      (this.lastFlushAt !== null && this.clock() - this.lastFlushAt >= this.flushIntervalMs);
    if (!due) return undefined;
    const flush = this.flush(target);
    waitUntil(flush);
    return flush;
  }

  /** Writes everything buffered now (waits for a running flush first). Never rejects. */
  async flush(target: AnalyticsTarget): Promise<FlushResult> {
    while (this.flushing) await this.flushing;
    if (this.buffer.size === 0) return { ok: true, rows: 0 };
    const batch = this.buffer;
    this.buffer = new Map();
    this.lastFlushAt = this.clock();
    const run = this.write(target, batch);
    this.flushing = run;
    try {
      return await run;
    } finally {
      this.flushing = null;
    }
  }

  private async write(target: AnalyticsTarget, batch: Map<string, Counter>): Promise<FlushResult> {
    let handle: DbHandle | undefined;
    try {
      const rows = await Promise.all(
        [...batch.values()].map(async (c) => ({
          policy: c.policy,
          key: await analyticsKeyFor(c.identity, target.ipSalt),
          bucketStart: new Date(c.bucketStart),
          allowed: c.allowed,
          denied: c.denied,
        })),
      );
      // One order for every isolate: concurrent flushes lock rows in the same order.
      rows.sort(
        (a, b) =>
          a.policy.localeCompare(b.policy) ||
          a.key.localeCompare(b.key) ||
          a.bucketStart.getTime() - b.bucketStart.getTime(),
      );
      handle = target.connect();
      const { db } = handle;
      // RLS: only the (signed) system context may write counters.
      await runAs(db, SYSTEM, async (tx) => {
        // 5 parameters a row; Postgres allows 65,535 per statement.
        for (let i = 0; i < rows.length; i += 5_000) {
          await tx
            .insert(rateLimitCounters)
            .values(rows.slice(i, i + 5_000))
            .onConflictDoUpdate({
              target: [
                rateLimitCounters.policy,
                rateLimitCounters.key,
                rateLimitCounters.bucketStart,
              ],
              set: {
                allowed: sql`rate_limit_counters.allowed + excluded.allowed`,
                denied: sql`rate_limit_counters.denied + excluded.denied`,
              },
            });
        }
      });
      return { ok: true, rows: rows.length };
    } catch (err) {
      this.restore(batch);
      this.onFlushError(err);
      return { ok: false, rows: 0 };
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  private restore(batch: Map<string, Counter>) {
    for (const [id, c] of batch) {
      const current = this.buffer.get(id);
      if (current) {
        current.allowed += c.allowed;
        current.denied += c.denied;
      } else if (this.buffer.size < this.maxRetained) {
        this.buffer.set(id, c);
      }
    }
  }
}

/** One per isolate: shared by every request this isolate serves. */
export const isolateAnalytics = new RateLimitAnalytics();

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** The `key` column for a limiter identity: users as they are, IPs as a salted hash. */
export async function analyticsKeyFor(identity: string, ipSalt: string): Promise<string> {
  if (!identity.startsWith("ip:")) return identity;
  let key = hmacKeys.get(ipSalt);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(ipSalt),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    hmacKeys.set(ipSalt, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(identity));
  const hex = Array.from(new Uint8Array(mac).slice(0, 16), (b) => b.toString(16).padStart(2, "0"));
  return `ip:${hex.join("")}`;
}

function logFlushError(err: unknown) {
  console.error(
    JSON.stringify({
      level: "warn",
      msg: "rate-limit analytics flush failed; counts kept for the next flush",
      reason: err instanceof Error ? err.name : "unknown",
    }),
  );
}

/** A Drizzle handle or transaction: anything that can `select`. */
export type Queryable = Pick<DbHandle["db"], "select">;

export interface TopLimitedKey {
  policy: string;
  key: string;
  denied: number;
  allowed: number;
  /** Start of the latest minute counted for the key in the range. */
  lastSeen: Date;
}

/**
 * The keys with the most denials since `since`, most denied first. Row-level security only lets
 * admins (or the system role) read counters: run it on a transaction with that context.
 */
export async function topLimitedKeys(input: {
  db: Queryable;
  since: Date;
  policy?: string;
  limit: number;
}): Promise<TopLimitedKey[]> {
  const denied = sql<number>`sum(${rateLimitCounters.denied})::int`;
  const rows = await input.db
    .select({
      policy: rateLimitCounters.policy,
      key: rateLimitCounters.key,
      denied,
      allowed: sql<number>`sum(${rateLimitCounters.allowed})::int`,
      lastSeen: sql<Date>`max(${rateLimitCounters.bucketStart})`.mapWith(
        (v: string | Date) => new Date(v),
      ),
    })
    .from(rateLimitCounters)
    .where(
      and(
        gte(rateLimitCounters.bucketStart, input.since),
        input.policy === undefined ? undefined : eq(rateLimitCounters.policy, input.policy),
      ),
    )
    .groupBy(rateLimitCounters.policy, rateLimitCounters.key)
    .having(sql`sum(${rateLimitCounters.denied}) > 0`)
    .orderBy(desc(denied), rateLimitCounters.policy, rateLimitCounters.key)
    .limit(Math.max(1, Math.min(input.limit, 1_000)));
  return rows;
}
