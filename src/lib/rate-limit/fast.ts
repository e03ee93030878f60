/**
 * Fast mode ("async" limiting in Unkey's terms): the isolate decides from a local model of the
 * object's state and reconciles with the Durable Object in batches off the request path.
 *
 * The model of a key is the object's last answer (its authoritative state, override included)
 * plus the units this isolate admitted since (`unconfirmed`: sent or not yet sent). A request is
 * admitted locally when the model allows it and `unconfirmed + cost <= syncBatch`; when the
 * model allows it but the batch is full, the request asks the object on the request path (an
 * exact decision that also carries the pending units). A sync goes off the request path
 * (`waitUntil`) when a batch is full, or, for a key the object already answered about, at most
 * once per `syncIntervalMs` while the key sees traffic. Every answer replaces the model.
 *
 * Bound: an isolate never holds more than `syncBatch` units the object has not confirmed, and
 * admits only while its model (which includes everything the object had counted at its last
 * answer) has room. So in any window at most `limit + isolates × syncBatch` units are admitted
 * for a key, and in one isolate alone (nobody else writing the key) nothing is over-admitted.
 * A denial (or an operator's block) reaches an isolate with its next answer: within one sync
 * interval for keys it has synced, and after at most `syncBatch` units for keys it has not.
 *
 * Keys an isolate sees fewer than `syncBatch` times never cost an object call: that is what
 * makes many distinct keys cheap (each object call for a new key creates an object and its
 * SQLite database).
 */
import type {
  LimitSnapshot,
  RateLimiter,
  ReconcileResult,
} from "../../durable-objects/rate-limiter";
import { dependencyUnavailable } from "../errors";
import { type AlgorithmState, consume, evaluateAlgorithm, limitResult } from "./algorithms";
import {
  type CheckOptions,
  type DenialCache,
  DurableObjectRateLimitClient,
  denialCacheKey,
  dropOldestQuarter,
  isolateDenials,
  type RateLimitClient,
  withTimeout,
} from "./client";
import type { Decision, Limit, LimitResult, LimitSpec } from "./types";

export const DEFAULT_SYNC_INTERVAL_MS = 1_000;

interface Model {
  limit: number;
  state: AlgorithmState | undefined;
}

interface Entry {
  objectKey: string;
  specs: LimitSpec[];
  models: Model[];
  blockedUntil: number;
  /** Sequence number of the sync whose answer the model is built on (0: none yet). */
  baseSeq: number;
  nextSeq: number;
  /** Units admitted here and not yet sent, per limit. */
  pending: number[];
  /** Units sent in syncs that have not answered, per sync and limit. */
  inFlight: Map<number, number[]>;
  lastSyncAt: number;
  expiresAt: number;
}

/** The isolate's fast-mode models, one per key and limit set, bounded in number (LRU). */
export class FastLimiterState {
  readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(cacheKey: string): Entry | undefined {
    const entry = this.entries.get(cacheKey);
    if (entry) {
      // Re-insert: Map order becomes recency order, so eviction drops the coldest keys.
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, entry);
    }
    return entry;
  }

  add(cacheKey: string, entry: Entry, now: number) {
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(cacheKey, entry);
  }

  /** Forgets every model of an object (after an operator's reset or override). */
  forgetObject(objectKey: string) {
    for (const [k, e] of this.entries) if (e.objectKey === objectKey) this.entries.delete(k);
  }

  clear() {
    this.entries.clear();
  }

  private evict(now: number) {
    for (const [k, e] of this.entries) {
      if (now >= e.expiresAt && e.inFlight.size === 0) this.entries.delete(k);
    }
    // Least recently used first (get() re-inserts). Their unsent units (< syncBatch each) are
    // lost to the object: the same slack the bound already allows per isolate.
    dropOldestQuarter(this.entries, this.maxEntries);
  }
}

/** One per isolate: shared by every request this isolate serves. */
export const isolateFastState = new FastLimiterState();

export interface FastClientOptions {
  /** Units an isolate may admit before the object confirms them (see `syncBatchOf`). */
  syncBatch: number;
  syncIntervalMs?: number;
  state?: FastLimiterState;
  timeoutMs?: number;
  /** The isolate's denial short-circuit (as in exact mode); `null` turns it off. */
  denials?: DenialCache | null;
}

export class FastRateLimitClient implements RateLimitClient {
  private readonly state: FastLimiterState;
  private readonly syncBatch: number;
  private readonly syncIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly denials: DenialCache | null;

  constructor(
    private readonly namespace: DurableObjectNamespace<RateLimiter>,
    opts: FastClientOptions,
  ) {
    this.denials = opts.denials === undefined ? isolateDenials : opts.denials;
    this.state = opts.state ?? isolateFastState;
    this.syncBatch = Math.max(1, Math.floor(opts.syncBatch));
    this.syncIntervalMs = opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  async check(key: string, limits: Limit[], opts: CheckOptions = {}): Promise<Decision> {
    const specs: LimitSpec[] = limits.map((l) => ({
      name: l.name,
      algorithm: l.algorithm,
      limit: l.limit,
      windowMs: l.windowMs,
      cost: l.cost ?? 1,
      key: l.key ?? key,
    }));
    const objectKey = specs[0]?.key ?? key;
    // Limits in several objects need refunds to stay all-or-nothing: those go the exact way.
    if (specs.some((s) => s.key !== objectKey)) {
      return new DurableObjectRateLimitClient(this.namespace, { timeoutMs: this.timeoutMs }).check(
        key,
        limits,
        opts,
      );
    }
    const now = opts.now ?? Date.now();
    // A key denied here stays denied until its retry time whatever else happens (counters only
    // decay, and other traffic only delays it), so a flood of denials skips all local work.
    const cost = specs.reduce((n, s) => n + s.cost, 0);
    const cacheKey = denialCacheKey(key, specs);
    const cached = this.denials?.lookup(cacheKey, cost, now);
    if (cached) return cached;
    const entry = this.entryFor(objectKey, specs, now);
    const blockedMs = Math.max(0, entry.blockedUntil - now);
    const evaluations = specs.map((spec, i) => {
      const model = entry.models[i] ?? { limit: spec.limit, state: undefined };
      return evaluateAlgorithm(
        spec.algorithm,
        model.state,
        model.limit,
        spec.windowMs,
        spec.cost,
        now,
      );
    });
    const results: LimitResult[] = specs.map((spec, i) => {
      const evaluation = evaluations[i];
      const limit = entry.models[i]?.limit ?? spec.limit;
      return evaluation
        ? limitResult(spec, limit, evaluation, blockedMs)
        : missingEvaluation(spec.name);
    });
    const allowed = results.every((r) => r.allowed);

    if (!allowed) {
      this.scheduleSync(entry, now, opts);
      this.denials?.remember(cacheKey, cost, now, results);
      return { allowed: false, source: "local", limits: results };
    }

    const fits = specs.every((spec, i) => unconfirmed(entry, i) + spec.cost <= this.syncBatch);
    if (fits) {
      specs.forEach((spec, i) => {
        const model = entry.models[i];
        const evaluation = evaluations[i];
        if (!model || !evaluation || spec.cost <= 0) return;
        model.state = evaluation.next;
        entry.pending[i] = (entry.pending[i] ?? 0) + spec.cost;
        entry.expiresAt = Math.max(entry.expiresAt, evaluation.expiresAt);
      });
      this.scheduleSync(entry, now, opts);
      return { allowed: true, source: "local", limits: results };
    }

    // The batch is full: this request is decided by the object, exactly, on the request path.
    try {
      const answer = await this.sync(
        entry,
        now,
        specs.map((s) => s.cost),
      );
      return { allowed: answer.allowed, source: "origin", limits: answer.limits };
    } catch (err) {
      if (opts.failureMode === "closed") throw dependencyUnavailable("rate-limiter", err);
      return { allowed: true, source: "fail-open", limits: [] };
    }
  }

  private entryFor(objectKey: string, specs: LimitSpec[], now: number): Entry {
    const cacheKey = JSON.stringify([
      objectKey,
      specs.map((s) => [s.name, s.algorithm, s.limit, s.windowMs]),
    ]);
    const existing = this.state.get(cacheKey);
    if (existing) return existing;
    const entry: Entry = {
      objectKey,
      specs: specs.map((s) => ({ ...s, cost: 0 })),
      models: specs.map((s) => ({ limit: s.limit, state: undefined })),
      blockedUntil: 0,
      baseSeq: 0,
      nextSeq: 0,
      pending: specs.map(() => 0),
      inFlight: new Map(),
      lastSyncAt: now,
      expiresAt: now,
    };
    this.state.add(cacheKey, entry, now);
    return entry;
  }

  private scheduleSync(entry: Entry, now: number, opts: CheckOptions) {
    const full = entry.pending.some((units) => units >= this.syncBatch);
    // Only keys the object has answered about are refreshed on a timer: a key seen a few times
    // never creates an object (see the file comment for what that costs in accuracy).
    const stale =
      entry.baseSeq > 0 &&
      entry.inFlight.size === 0 &&
      now - entry.lastSyncAt >= this.syncIntervalMs;
    if (!full && !stale) return;
    const sync = this.sync(entry, now, null).then(
      () => undefined,
      () => undefined, // units were put back; the next sync carries them
    );
    if (opts.waitUntil) opts.waitUntil(sync);
  }

  /** Sends the pending units (and a request's `costs` to decide) and adopts the answer. */
  private async sync(entry: Entry, now: number, costs: number[] | null): Promise<ReconcileResult> {
    const seq = ++entry.nextSeq;
    const units = entry.pending;
    entry.pending = units.map(() => 0);
    entry.inFlight.set(seq, units);
    entry.lastSyncAt = now;
    const stub = this.namespace.get(this.namespace.idFromName(entry.objectKey));
    let answer: ReconcileResult;
    try {
      answer = await withTimeout(
        stub.reconcile({
          limits: entry.specs.map((spec, i) => ({
            ...spec,
            cost: costs?.[i] ?? 0,
            consumed: units[i] ?? 0,
          })),
          now,
        }),
        this.timeoutMs,
      );
    } catch (err) {
      entry.inFlight.delete(seq);
      units.forEach((u, i) => {
        entry.pending[i] = (entry.pending[i] ?? 0) + u;
      });
      throw err;
    }
    entry.inFlight.delete(seq);
    if (seq > entry.baseSeq) adopt(entry, seq, answer.snapshots, answer.blockedUntil, now);
    return answer;
  }
}

function unconfirmed(entry: Entry, i: number): number {
  let units = entry.pending[i] ?? 0;
  for (const batch of entry.inFlight.values()) units += batch[i] ?? 0;
  return units;
}

/** Replaces the model with the object's answer plus what this isolate admitted since. */
function adopt(
  entry: Entry,
  seq: number,
  snapshots: LimitSnapshot[],
  blockedUntil: number | null,
  now: number,
) {
  entry.baseSeq = seq;
  // Answers can arrive out of order: an older sync still in flight is taken as included.
  for (const s of entry.inFlight.keys()) if (s < seq) entry.inFlight.delete(s);
  entry.blockedUntil = blockedUntil ?? 0;
  entry.models = entry.specs.map((spec, i) => {
    const snapshot = snapshots.find((s) => s.name === spec.name);
    const limit = snapshot?.limit ?? spec.limit;
    let state = snapshot?.state ?? undefined;
    const units = unconfirmed(entry, i);
    if (units > 0) {
      // Applied at `now`, not when admitted: never less than the true use, so never looser.
      const used = consume(spec.algorithm, state, limit, spec.windowMs, units, now);
      state = used.next;
      entry.expiresAt = Math.max(entry.expiresAt, used.expiresAt);
    }
    return { limit, state };
  });
  entry.expiresAt = Math.max(
    entry.expiresAt,
    now + Math.max(...entry.specs.map((s) => 2 * s.windowMs)),
  );
}

function missingEvaluation(name: string): never {
  throw new Error(`fast limiter has no model for limit "${name}"`);
}
