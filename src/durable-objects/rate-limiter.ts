import { DurableObject } from "cloudflare:workers";
import {
  type AlgorithmState,
  consume,
  type Evaluation,
  evaluateAlgorithm,
  gcra,
  limitResult,
  slidingWindow,
} from "../lib/rate-limit/algorithms";
import type {
  Algorithm,
  LimitResult,
  LimitSpec,
  LimitState,
  ObjectState,
  Override,
} from "../lib/rate-limit/types";

export interface CheckRequest {
  limits: LimitSpec[];
  /** Injected clock (ms since epoch) for tests; production leaves it unset. */
  now?: number;
}

export interface CheckResult {
  allowed: boolean;
  limits: LimitResult[];
  /** The time the object decided at: refunds use it to find the window they consumed in. */
  at: number;
}

export interface RefundRequest {
  limits: LimitSpec[];
  /** `CheckResult.at` of the admitted check being undone. */
  at: number;
}

/** A limit in a fast-mode reconcile: `consumed` units were already admitted by an isolate. */
export interface ReconcileLimit extends LimitSpec {
  consumed: number;
}

export interface ReconcileRequest {
  /** `cost` is checked (all-or-nothing, as in `check`); `consumed` is recorded unconditionally. */
  limits: ReconcileLimit[];
  now?: number;
}

/** The object's authoritative state of one limit, for an isolate to adopt as its local model. */
export interface LimitSnapshot {
  name: string;
  /** Effective limit (after any override). */
  limit: number;
  state: AlgorithmState | null;
}

export interface ReconcileResult extends CheckResult {
  snapshots: LimitSnapshot[];
  /** An override's block (ms since epoch), or null. */
  blockedUntil: number | null;
}

interface Row extends Record<string, SqlStorageValue> {
  key: string;
  name: string;
  algorithm: string;
  window_ms: number;
  limit_value: number;
  window_start: number;
  prev_count: number;
  curr_count: number;
  tat: number;
  expires_at: number;
}

interface OverrideRow extends Record<string, SqlStorageValue> {
  limit_value: number | null;
  multiplier: number | null;
  blocked_until: number | null;
  expires_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS rl_state (
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    window_ms INTEGER NOT NULL,
    limit_value INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    prev_count REAL NOT NULL,
    curr_count REAL NOT NULL,
    tat REAL NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, name)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rl_override (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    limit_value INTEGER,
    multiplier REAL,
    blocked_until INTEGER,
    expires_at INTEGER NOT NULL
  );
`;

const UPSERT = `
  INSERT INTO rl_state
    (key, name, algorithm, window_ms, limit_value, window_start, prev_count, curr_count, tat, expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (key, name) DO UPDATE SET
    algorithm = excluded.algorithm, window_ms = excluded.window_ms,
    limit_value = excluded.limit_value,
    window_start = excluded.window_start, prev_count = excluded.prev_count,
    curr_count = excluded.curr_count, tat = excluded.tat, expires_at = excluded.expires_at
`;

/**
 * How long a counter is kept after it expired (went back to "no state at all") before the alarm
 * deletes it. Deleting right at expiry made a key used every second or two pay for its object's
 * whole life cycle on nearly every request: tables created again, an alarm set, the alarm run,
 * the storage deleted. Kept this long, a key in use costs one write per request and one alarm per
 * grace period; an idle object still ends up with no storage at all, this much later.
 */
export const IDLE_GRACE_MS = 10 * 60_000;

/**
 * How much of a limit may be admitted from memory before it is written: at most this share of
 * it (floored), so a limit under 20 is written on every admission. Writing is most of what a
 * check costs (the object call aside); a key used steadily under a large limit pays it once per
 * this many admissions or once per `FLUSH_DELAY_MS`, whichever comes first.
 */
export const UNFLUSHED_SHARE = 0.05;

/**
 * The longest an admission stays in memory only. Far shorter than the idle time after which the
 * runtime evicts an object (about 10 s locally, over a minute on Cloudflare), so an idle object
 * has always written everything; only an abrupt reset (a deploy, a crash) can lose what is
 * unflushed, and that is at most `UNFLUSHED_SHARE` of the limit.
 */
export const FLUSH_DELAY_MS = 2_000;

/**
 * Distributed rate limiter, one object per identity key (the caller picks `idFromName(key)`).
 *
 * A check reads its rows, decides every limit and records the results in one synchronous turn,
 * so no other request can interleave: exact under any concurrency without relying on input gates.
 *
 * This instance is the only writer of its storage, so memory is the truth while it lives (rows,
 * the override, the pending alarm) and storage follows it. A call writes everything unflushed,
 * in one transaction, when nothing was written for `FLUSH_DELAY_MS` or a key's unflushed units
 * pass `UNFLUSHED_SHARE` of its limit (every admission, for a limit under 20); otherwise the
 * admission waits for the next call that writes, or for a timer `FLUSH_DELAY_MS` later if none
 * comes (a timer's event costs more than a write, so a key in steady use never fires one).
 * Everything that reads or deletes storage (state, reset, the alarm) writes what is unflushed
 * first.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private schemaReady = false;
  /** Rows by `rowId(key, name)`; `null` = known to be absent. */
  private readonly rows = new Map<string, Row | null>();
  /** The stored override; `undefined` = not read yet. */
  private override: Override | null | undefined;
  /** When the pending alarm fires (`null`: none), read once per instance, then kept in step. */
  private alarmAt: number | null = null;
  /** Rows (by `rowId`) that memory holds newer than storage, with the units admitted since. */
  private readonly unflushed = new Map<string, number>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** When a call of this instance last wrote counters itself (0: not yet). */
  private lastFlushAt = 0;
  /** While `recordAll` runs: how to put back what it changed if its write fails. */
  private undo: [string, Row | null | undefined, number | undefined][] | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Once per instance, before the first request: an earlier instance may have set the alarm.
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }

  /** Evaluates every limit; consumes from all of them only if all allow. */
  check(request: CheckRequest): CheckResult {
    const now = request.now ?? Date.now();
    this.ensureSchema();
    const override = this.activeOverride(now);
    const evaluations = request.limits.map((spec) => {
      const limit = effectiveLimit(spec.limit, override);
      const row = this.readRow(spec.key, spec.name);
      return { spec, limit, evaluation: evaluate(spec, limit, row, now) };
    });
    const blockedMs =
      override?.blockedUntil !== undefined && override.blockedUntil > now
        ? override.blockedUntil - now
        : 0;
    const allowed = blockedMs === 0 && evaluations.every((e) => e.evaluation.allowed);

    if (allowed) {
      const expiries: number[] = [];
      this.recordAll(() => {
        for (const { spec, limit, evaluation } of evaluations) {
          if (spec.cost <= 0) continue;
          this.recordState(spec, limit, evaluation.next, evaluation.expiresAt, spec.cost);
          expiries.push(evaluation.expiresAt);
        }
      });
      this.ensureAlarm(expiries);
    }

    return {
      allowed,
      at: now,
      limits: evaluations.map(({ spec, limit, evaluation }) =>
        limitResult(spec, limit, evaluation, blockedMs),
      ),
    };
  }

  /**
   * Fast mode's sync: records units isolates admitted on their own, then (when a limit has a
   * `cost`) decides one request exactly like `check`, all in one synchronous turn (all or
   * nothing, see `recordAll`), and returns the resulting state so the isolate can adopt it.
   */
  reconcile(request: ReconcileRequest): ReconcileResult {
    const now = request.now ?? Date.now();
    this.ensureSchema();
    const override = this.activeOverride(now);
    const blockedUntil =
      override?.blockedUntil !== undefined && override.blockedUntil > now
        ? override.blockedUntil
        : null;
    const blockedMs = blockedUntil === null ? 0 : blockedUntil - now;
    const expiries: number[] = [];
    let allowed = false;
    let current: {
      spec: ReconcileLimit;
      limit: number;
      state: AlgorithmState | undefined;
      evaluation: Evaluation<AlgorithmState>;
    }[] = [];
    this.recordAll(() => {
      current = request.limits.map((spec) => {
        const limit = effectiveLimit(spec.limit, override);
        let state = stateOf(spec, this.readRow(spec.key, spec.name));
        if (spec.consumed > 0) {
          const used = consume(spec.algorithm, state, limit, spec.windowMs, spec.consumed, now);
          state = used.next;
          this.recordState(spec, limit, used.next, used.expiresAt, spec.consumed);
          expiries.push(used.expiresAt);
        }
        const evaluation = evaluateAlgorithm(
          spec.algorithm,
          state,
          limit,
          spec.windowMs,
          spec.cost,
          now,
        );
        return { spec, limit, state, evaluation };
      });
      allowed = blockedMs === 0 && current.every((c) => c.evaluation.allowed);
      if (allowed) {
        for (const c of current) {
          if (c.spec.cost <= 0) continue;
          c.state = c.evaluation.next;
          this.recordState(c.spec, c.limit, c.evaluation.next, c.evaluation.expiresAt, c.spec.cost);
          expiries.push(c.evaluation.expiresAt);
        }
      }
    });
    this.ensureAlarm(expiries);
    const result = { allowed, current };
    return {
      allowed: result.allowed,
      at: now,
      blockedUntil,
      snapshots: result.current.map((c) => ({
        name: c.spec.name,
        limit: c.limit,
        state: c.state ?? null,
      })),
      limits: result.current.map(({ spec, limit, evaluation }) =>
        limitResult(spec, limit, evaluation, blockedMs),
      ),
    };
  }

  /**
   * Gives back what an admitted check consumed. The client calls it when a check spanning
   * several objects was admitted here but denied elsewhere.
   */
  refund(request: RefundRequest): void {
    this.ensureSchema();
    this.recordAll(() => {
      for (const spec of request.limits) {
        const stored = this.readRow(spec.key, spec.name);
        if (!stored || spec.cost <= 0) continue;
        const row = { ...stored };
        if (row.algorithm === "gcra") {
          const interval = row.window_ms / Math.max(1, row.limit_value);
          row.tat = Math.max(row.tat - spec.cost * interval, 0);
        } else {
          const start = request.at - (request.at % row.window_ms);
          if (row.window_start === start) {
            row.curr_count = Math.max(0, row.curr_count - spec.cost);
          } else if (row.window_start === start + row.window_ms) {
            row.prev_count = Math.max(0, row.prev_count - spec.cost);
          }
        }
        // Giving units back admits nothing: losing it to a reset only errs on the strict side.
        this.recordRow(row, 0);
      }
    });
  }

  /** Current state of this identity's counters (optionally only the named ones). */
  getState(names?: string[], now: number = Date.now()): ObjectState {
    this.ensureSchema();
    this.flush();
    const rows = this.sql.exec<Row>("SELECT * FROM rl_state ORDER BY key, name").toArray();
    const limits: LimitState[] = rows
      .filter((row) => !names || names.includes(row.name))
      .map((row) => ({
        key: row.key,
        name: row.name,
        algorithm: row.algorithm as Algorithm,
        windowMs: row.window_ms,
        used: currentUse(row, now),
        expiresAt: row.expires_at,
      }));
    return { limits, override: this.readOverride() };
  }

  /** Deletes counters (all, or the named ones). Overrides are kept: clear them explicitly. */
  reset(names?: string[]): { deleted: number } {
    this.ensureSchema();
    if (!names) {
      // Everything goes: nothing unflushed is worth writing first.
      this.unflushed.clear();
      this.rows.clear();
      return { deleted: this.sql.exec("DELETE FROM rl_state").rowsWritten };
    }
    // The named counters go; the others' unflushed admissions are written before memory is
    // dropped, so none is lost or written back over the deletes.
    for (const id of [...this.unflushed.keys()]) {
      const row = this.rows.get(id);
      if (!row || names.includes(row.name)) this.unflushed.delete(id);
    }
    this.flush();
    this.rows.clear();
    let deleted = 0;
    for (const name of names) {
      deleted += this.sql.exec("DELETE FROM rl_state WHERE name = ?", name).rowsWritten;
    }
    return { deleted };
  }

  setOverride(override: Override): Override {
    if (!Number.isFinite(override.expiresAt)) throw new RangeError("expiresAt must be a time");
    this.ensureSchema();
    // Unflushed admissions were bounded by the old limit's share: write them before it changes.
    this.flush();
    this.sql.exec(
      `INSERT INTO rl_override (id, limit_value, multiplier, blocked_until, expires_at)
       VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET limit_value = excluded.limit_value,
         multiplier = excluded.multiplier, blocked_until = excluded.blocked_until,
         expires_at = excluded.expires_at`,
      override.limit ?? null,
      override.multiplier ?? null,
      override.blockedUntil ?? null,
      override.expiresAt,
    );
    this.override = undefined; // read back as stored on next use
    // Brings a later alarm forward; an earlier one (the counters' cleanup) is left alone.
    this.armAlarm(override.expiresAt);
    return override;
  }

  clearOverride(): void {
    this.ensureSchema();
    this.flush(); // as in setOverride
    this.sql.exec("DELETE FROM rl_override");
    this.override = null;
  }

  /**
   * Deletes counters that have been expired for `IDLE_GRACE_MS` and overrides that have expired;
   * once nothing is left the object's storage is deleted. Otherwise it sets itself again for the
   * next thing that will be deletable (one alarm per grace period while the key is in use).
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.ensureSchema();
    this.flush(); // deletions below must see every admission
    const now = Date.now();
    if (
      this.sql.exec("DELETE FROM rl_state WHERE expires_at <= ?", now - IDLE_GRACE_MS).rowsWritten
    ) {
      this.rows.clear();
    }
    if (this.sql.exec("DELETE FROM rl_override WHERE expires_at <= ?", now).rowsWritten) {
      this.override = null;
    }
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT min(expires_at) + ? AS at FROM rl_state
           UNION ALL SELECT min(expires_at) AS at FROM rl_override)`,
        IDLE_GRACE_MS,
      )
      .one().at;
    if (next === null) {
      this.schemaReady = false;
      this.rows.clear();
      this.override = null;
      await this.ctx.storage.deleteAll(); // the alarm too: nothing is left to clean up
      return;
    }
    this.armAlarm(next);
  }

  private ensureSchema() {
    if (this.schemaReady) return;
    this.sql.exec(SCHEMA);
    this.schemaReady = true;
  }

  /** After writing counters that expire at `expiries`: makes sure an alarm will clean them up. */
  private ensureAlarm(expiries: number[]) {
    if (expiries.length === 0) return;
    this.armAlarm(Math.min(...expiries) + IDLE_GRACE_MS);
  }

  /**
   * One pending alarm is enough: when it fires it sets itself again for whatever remains. So an
   * alarm is set only when none is pending, or to bring the pending one forward; a key in use
   * only ever moves its cleanup later, so in the steady state a check sets no alarm at all.
   */
  private armAlarm(at: number) {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    // Real clock, not the injected one: an alarm is a wall-clock event.
    this.alarmAt = Math.max(at, Date.now() + 1_000);
    void this.ctx.storage.setAlarm(this.alarmAt);
  }

  /**
   * Runs `record` (which changes rows in memory), then writes what is unflushed at once if
   * nothing was written for `FLUSH_DELAY_MS` or some row has passed its share of the limit,
   * else leaves it to the next call or, if none comes in time, to the timer. All or nothing: if that
   * write fails, this call's changes to memory are undone before the error goes to the caller
   * (who applies its failure mode), so a refused call counts nothing, as before any deferral;
   * earlier calls' admissions stay unflushed and the timer tries again.
   */
  private recordAll(record: () => void) {
    const undo: [string, Row | null | undefined, number | undefined][] = [];
    this.undo = undo;
    try {
      record();
      // Nothing written for a while (a key used now and then, a new instance): write now, in
      // this call, rather than pay a timer's own event for it later.
      const now = Date.now();
      if (now - this.lastFlushAt >= FLUSH_DELAY_MS || this.overShare()) {
        this.flush();
        // Only a call's own write counts: after the timer's, the next call would otherwise
        // wait and arm another timer (one event per call for a key used every 2 s or so).
        this.lastFlushAt = now;
      }
    } catch (err) {
      for (const [id, row, units] of undo.reverse()) {
        if (row === undefined) this.rows.delete(id);
        else this.rows.set(id, row);
        if (units === undefined) this.unflushed.delete(id);
        else this.unflushed.set(id, units);
      }
      throw err;
    } finally {
      this.undo = undefined;
      this.scheduleFlush();
    }
  }

  /** Whether some row's unflushed units have passed its share of the limit. */
  private overShare(): boolean {
    for (const [id, units] of this.unflushed) {
      const row = this.rows.get(id);
      if (row && units > Math.floor(row.limit_value * UNFLUSHED_SHARE)) return true;
    }
    return false;
  }

  private scheduleFlush(delayMs = FLUSH_DELAY_MS) {
    if (this.flushTimer !== undefined || this.unflushed.size === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      try {
        this.flush();
      } catch (err) {
        // Storage failing: back off (up to a minute) instead of retrying every 2 s forever.
        console.error("rate limiter: writing counters failed; retrying", err);
        this.scheduleFlush(Math.min(2 * delayMs, 60_000));
      }
    }, delayMs);
  }

  /** Writes every unflushed row in one transaction (all or nothing). */
  private flush() {
    if (this.unflushed.size === 0) return;
    this.ensureSchema();
    const rows: Row[] = [];
    for (const id of this.unflushed.keys()) {
      const row = this.rows.get(id);
      if (row) rows.push(row);
    }
    const write = () => {
      for (const row of rows) this.upsert(row);
    };
    // One statement is atomic by itself; several need a transaction to be all-or-nothing.
    if (rows.length > 1) this.ctx.storage.transactionSync(write);
    else write();
    this.unflushed.clear();
    // Written by a call: the timer, if armed, has nothing left to do (and its event costs).
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
  }

  private readRow(key: string, name: string): Row | undefined {
    const id = rowId(key, name);
    let row = this.rows.get(id);
    if (row === undefined) {
      row =
        this.sql
          .exec<Row>("SELECT * FROM rl_state WHERE key = ? AND name = ?", key, name)
          .toArray()[0] ?? null;
      // An object holds its identity's few counters; the bound only guards against misuse.
      if (this.rows.size >= MAX_CACHED_ROWS) {
        this.flush();
        this.rows.clear();
      }
      this.rows.set(id, row);
    }
    return row ?? undefined;
  }

  /** Memory takes the new state now; storage follows (see `persist`). */
  private recordState(
    spec: LimitSpec,
    limit: number,
    state: AlgorithmState,
    expiresAt: number,
    units: number,
  ) {
    const sliding = "windowStart" in state ? state : undefined;
    const row: Row = {
      key: spec.key,
      name: spec.name,
      algorithm: spec.algorithm,
      window_ms: spec.windowMs,
      limit_value: limit,
      window_start: sliding?.windowStart ?? 0,
      prev_count: sliding?.prev ?? 0,
      curr_count: sliding?.curr ?? 0,
      tat: "tat" in state ? state.tat : 0,
      expires_at: expiresAt,
    };
    this.recordRow(row, units);
  }

  private recordRow(row: Row, units: number) {
    const id = rowId(row.key, row.name);
    this.undo?.push([id, this.rows.get(id), this.unflushed.get(id)]);
    this.rows.set(id, row);
    this.unflushed.set(id, (this.unflushed.get(id) ?? 0) + units);
  }

  private upsert(row: Row) {
    this.sql.exec(
      UPSERT,
      row.key,
      row.name,
      row.algorithm,
      row.window_ms,
      row.limit_value,
      row.window_start,
      row.prev_count,
      row.curr_count,
      row.tat,
      row.expires_at,
    );
  }

  private readOverride(): Override | null {
    const row = this.sql
      .exec<OverrideRow>(
        "SELECT limit_value, multiplier, blocked_until, expires_at FROM rl_override",
      )
      .toArray()[0];
    if (!row) return null;
    return {
      ...(row.limit_value !== null ? { limit: row.limit_value } : {}),
      ...(row.multiplier !== null ? { multiplier: row.multiplier } : {}),
      ...(row.blocked_until !== null ? { blockedUntil: row.blocked_until } : {}),
      expiresAt: row.expires_at,
    };
  }

  private activeOverride(now: number): Override | null {
    if (this.override === undefined) this.override = this.readOverride();
    const override = this.override;
    return override && override.expiresAt > now ? override : null;
  }
}

const MAX_CACHED_ROWS = 256;

function rowId(key: string, name: string): string {
  return `${key.length}:${key}${name}`;
}

function effectiveLimit(limit: number, override: Override | null): number {
  if (override?.limit !== undefined) return override.limit;
  if (override?.multiplier !== undefined) return Math.floor(limit * override.multiplier);
  return limit;
}

/** A stored row as algorithm state, or undefined when the policy's algorithm or window changed. */
function stateOf(spec: LimitSpec, row: Row | undefined): AlgorithmState | undefined {
  if (!row || row.algorithm !== spec.algorithm || row.window_ms !== spec.windowMs) return undefined;
  if (spec.algorithm === "gcra") return { tat: row.tat };
  return { windowStart: row.window_start, prev: row.prev_count, curr: row.curr_count };
}

function evaluate(spec: LimitSpec, limit: number, row: Row | undefined, now: number) {
  // A row written under another algorithm or window length means the policy changed: start over.
  const matching =
    row && row.algorithm === spec.algorithm && row.window_ms === spec.windowMs ? row : undefined;
  if (spec.algorithm === "gcra") {
    return gcra(matching && { tat: matching.tat }, limit, spec.windowMs, spec.cost, now);
  }
  const state = matching && {
    windowStart: matching.window_start,
    prev: matching.prev_count,
    curr: matching.curr_count,
  };
  return slidingWindow(state, limit, spec.windowMs, spec.cost, now);
}

function currentUse(row: Row, now: number): number {
  if (row.algorithm === "gcra") {
    return (Math.max(0, row.tat - now) * row.limit_value) / row.window_ms;
  }
  const start = now - (now % row.window_ms);
  if (row.window_start >= start) {
    return (row.prev_count * (row.window_ms - (now - start))) / row.window_ms + row.curr_count;
  }
  if (row.window_start === start - row.window_ms) {
    return (row.curr_count * (row.window_ms - (now - start))) / row.window_ms;
  }
  return 0;
}
