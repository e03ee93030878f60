import * as z from "zod";

/**
 * What the cache counts, per kind:
 * - `hits`: served fresh (`memoryHits` of them from the isolate tier, the rest from KV);
 * - `staleServes`: served stale while a refresh ran (or was already running);
 * - `misses`: loaded from the source (`invalid` of them because the stored value failed its
 *   schema or could not be read, `kvErrors` counts KV calls that failed);
 * - `refreshes` / `refreshFailures`: background refreshes that completed / failed.
 */
export const counterNames = [
  "hits",
  "memoryHits",
  "staleServes",
  "misses",
  "invalid",
  "refreshes",
  "refreshFailures",
  "kvErrors",
] as const;
export type CounterName = (typeof counterNames)[number];
export type Counters = Record<CounterName, number>;

export const zeroCounters = (): Counters =>
  Object.fromEntries(counterNames.map((name) => [name, 0])) as Counters;

export interface StatsSnapshot {
  isolateId: string;
  startedAt: number;
  kinds: Record<string, Counters>;
}

/** An isolate reports at most this often, and only after it counted something new. */
export const REPORT_INTERVAL_MS = 60_000;
/** A report outlives its isolate by this long at most (KV deletes it). */
export const REPORT_TTL_SECONDS = 3_600;
export const STATS_PREFIX = "cache:stats:";
const MAX_LIST_PAGES = 5;
/** KV list metadata holds 1024 bytes: beyond that an isolate reports its totals only. */
const MAX_METADATA_BYTES = 1_000;

/** The counters of this isolate since it started. */
export class CacheStats {
  private id: string | undefined;
  private started = 0;
  private readonly kinds = new Map<string, Counters>();
  private lastReportAt = 0;
  private dirty = false;

  /** Random values are not allowed at a Worker's global scope: the identity is made on first use. */
  private identity() {
    if (!this.id) {
      this.id = crypto.randomUUID();
      this.started = Date.now();
      this.lastReportAt = this.started;
    }
    return this.id;
  }

  count(kind: string, name: CounterName, n = 1) {
    this.identity();
    let counters = this.kinds.get(kind);
    if (!counters) {
      counters = zeroCounters();
      this.kinds.set(kind, counters);
    }
    counters[name] += n;
    this.dirty = true;
  }

  snapshot(): StatsSnapshot {
    const isolateId = this.identity();
    return {
      isolateId,
      startedAt: this.started,
      kinds: Object.fromEntries([...this.kinds].map(([k, c]) => [k, { ...c }])),
    };
  }

  /**
   * Writes this isolate's counters to KV (`cache:stats:<isolate>`, in the key's metadata, so one
   * `list` reads every isolate's) when they changed and the last report is a minute old, or now
   * when `force`d. One small write per isolate per minute at most.
   */
  report(kv: KVNamespace, opts: { now?: number; force?: boolean } = {}): Promise<void> | undefined {
    const now = opts.now ?? Date.now();
    this.identity();
    if (!opts.force && (!this.dirty || now - this.lastReportAt < REPORT_INTERVAL_MS)) return;
    this.lastReportAt = now;
    this.dirty = false;
    const snap = this.snapshot();
    const metadata = reportMetadata(snap, now);
    return kv.put(`${STATS_PREFIX}${snap.isolateId}`, "", {
      expirationTtl: REPORT_TTL_SECONDS,
      metadata,
    });
  }

  reset() {
    this.kinds.clear();
    this.id = undefined;
    this.dirty = false;
  }
}

const reportSchema = z.object({
  v: z.literal(1),
  /** started, reported (ms since epoch) */
  s: z.number().int().nonnegative(),
  r: z.number().int().nonnegative(),
  /** kind → counters in `counterNames` order; `*` alone when the detail did not fit */
  k: z.record(z.string().max(100), z.array(z.number().int().nonnegative()).length(8)),
});
type Report = z.infer<typeof reportSchema>;

function reportMetadata(snap: StatsSnapshot, now: number): Report {
  const pack = (c: Counters) => counterNames.map((name) => c[name]);
  const report: Report = {
    v: 1,
    s: snap.startedAt,
    r: now,
    k: Object.fromEntries(Object.entries(snap.kinds).map(([kind, c]) => [kind, pack(c)])),
  };
  if (JSON.stringify(report).length <= MAX_METADATA_BYTES) return report;
  return { ...report, k: { "*": pack(sumKinds(Object.values(snap.kinds))) } };
}

export function sumKinds(all: Counters[]): Counters {
  const total = zeroCounters();
  for (const c of all) for (const name of counterNames) total[name] += c[name];
  return total;
}

export interface FleetStats {
  /** Isolates counted: this one (live) and every other one whose report KV still lists. */
  isolates: number;
  /** The earliest start among them (ms since epoch): the counts cover activity since then. */
  since: number;
  /** The oldest report among the other isolates (ms since epoch), null when there is none. */
  oldestReportAt: number | null;
  kinds: Record<string, Counters>;
  /** False when there were more reports than one aggregation reads (5,000). */
  complete: boolean;
  /** Reports that could not be read (skipped). */
  unreadable: number;
}

/**
 * Sums this isolate's live counters with every other isolate's last report. Each report is a
 * running total since its isolate started, so the sum covers, per isolate, its life up to its
 * last report (at most a minute behind); isolates gone for an hour drop out. KV's list is itself
 * eventually consistent (up to about a minute).
 */
export async function fleetStats(kv: KVNamespace, self: StatsSnapshot): Promise<FleetStats> {
  const kinds = new Map<string, Counters>();
  const add = (kind: string, c: Counters) => {
    kinds.set(kind, sumKinds([kinds.get(kind) ?? zeroCounters(), c]));
  };
  for (const [kind, c] of Object.entries(self.kinds)) add(kind, c);
  let isolates = 1;
  let since = self.startedAt;
  let oldestReportAt: number | null = null;
  let unreadable = 0;
  let cursor: string | undefined;
  let pages = 0;
  let complete = true;
  do {
    const page = await kv.list({ prefix: STATS_PREFIX, cursor });
    for (const key of page.keys) {
      if (key.name === `${STATS_PREFIX}${self.isolateId}`) continue;
      const report = reportSchema.safeParse(key.metadata);
      if (!report.success) {
        unreadable++;
        continue;
      }
      isolates++;
      since = Math.min(since, report.data.s);
      oldestReportAt = Math.min(oldestReportAt ?? report.data.r, report.data.r);
      for (const [kind, packed] of Object.entries(report.data.k)) {
        add(kind, Object.fromEntries(counterNames.map((n, i) => [n, packed[i] ?? 0])) as Counters);
      }
    }
    cursor = page.list_complete ? undefined : page.cursor;
    if (cursor && ++pages >= MAX_LIST_PAGES) {
      complete = false;
      break;
    }
  } while (cursor);
  return {
    isolates,
    since,
    oldestReportAt,
    kinds: Object.fromEntries(kinds),
    complete,
    unreadable,
  };
}
