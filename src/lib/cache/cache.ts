import * as z from "zod";
import { GenerationTier } from "./generations";
import type { CacheKind } from "./kind";
import { MemoryTier } from "./memory";
import { CacheStats, type CounterName } from "./stats";

/**
 * How a read was answered, for the `Cache-Status` header (RFC 9211, see `cacheStatus`):
 * `hit` fresh from the isolate tier or KV; `stale` served stale while a refresh runs in
 * `waitUntil`; `miss` loaded from the source (and stored for the next reader).
 */
export type CacheOutcome = "hit" | "stale" | "miss";

export interface CacheRead<V> {
  value: V;
  outcome: CacheOutcome;
}

export interface ReadOptions<V> {
  /**
   * Whether a loaded value is worth storing (default: always). A value it refuses is returned
   * but not stored, and a refresh that loads one removes the entry: e.g. nothing is cached for
   * a course that does not exist, so unknown keys cost no KV writes.
   */
  store?: (value: V) => boolean;
}

/**
 * What one isolate shares between its requests: the memory tier, the generation tokens it
 * knows, counters, running refreshes and the hashes of long keys.
 */
export class IsolateCacheState {
  readonly memory = new MemoryTier();
  readonly generations: GenerationTier;
  readonly stats = new CacheStats();
  /** Storage keys being refreshed in this isolate, with when the refresh started. */
  readonly refreshing = new Map<string, number>();
  /** Entry keys that are not plain text, with their hash (the same on every read). */
  readonly hashedKeys = new Map<string, string>();

  constructor(opts: { generationMemoryMs?: number } = {}) {
    this.generations = new GenerationTier(opts.generationMemoryMs);
  }

  clear() {
    this.memory.clear();
    this.generations.clear();
    this.refreshing.clear();
    this.hashedKeys.clear();
  }
}

/** One per isolate, shared by every request it serves. */
export const isolateCache = new IsolateCacheState();

export interface CacheDeps {
  kv: KVNamespace;
  /** Keeps refreshes and KV writes alive after the response. */
  waitUntil: (work: Promise<unknown>) => void;
  warn?: (msg: string, fields: Record<string, unknown>) => void;
  state?: IsolateCacheState;
  now?: () => number;
}

/** A refresh that has not finished after this long is presumed lost; the next stale read retries. */
const REFRESH_TIMEOUT_MS = 30_000;
/** Generation keys outlive every entry filled under them many times over (entries: ≤ 1 day). */
const GENERATION_TTL_SECONDS = 30 * 24 * 3600;
/** A failed generation bump is retried this many times in `waitUntil` (KV: 1 write/s per key). */
const BUMP_RETRIES = [1_500, 3_000];
const MAX_HASHED_KEYS = 1_000;
const READABLE_KEY = /^[A-Za-z0-9._~=,-]{1,128}$/;

const envelope = z.object({ t: z.number().int().nonnegative(), v: z.unknown() });

/**
 * The KV cache with an isolate tier in front (the README's "Catalogue and cache" gives the
 * staleness bounds). Built per request; shares `IsolateCacheState` across requests.
 *
 * Entries are keyed by their kind, version, key and the current tokens of the generation scopes
 * they depend on (`cache:gen:<scope>` in KV, kept in isolate memory for up to
 * `GENERATION_MEMORY_MS`); `invalidate(scopes)` writes new tokens, so later reads look for other
 * keys and miss (at once in this isolate). Nothing here decides access or money: callers cache
 * only what every anonymous reader may see.
 */
export class Cache {
  private readonly kv: KVNamespace;
  private readonly state: IsolateCacheState;
  private readonly now: () => number;

  constructor(private readonly deps: CacheDeps) {
    this.kv = deps.kv;
    this.state = deps.state ?? isolateCache;
    this.now = deps.now ?? Date.now;
  }

  /** Reads `kind`/`params` through both tiers; on a miss, `load`s it and stores it for others. */
  async read<P, V>(
    kind: CacheKind<P, V>,
    params: P,
    load: () => Promise<V>,
    opts: ReadOptions<V> = {},
  ): Promise<CacheRead<V>> {
    try {
      return await this.readThrough(kind, params, load, opts);
    } finally {
      const report = this.state.stats.report(this.kv);
      if (report) this.background(report, "cache stats report failed");
    }
  }

  /** Bumps the generation of each scope: every entry depending on one of them misses from now. */
  async invalidate(scopes: string[]): Promise<void> {
    await Promise.all(
      scopes.map(async (scope) => {
        const key = generationKey(scope);
        const token = newToken();
        try {
          await this.kv.put(key, token, { expirationTtl: GENERATION_TTL_SECONDS });
          this.state.generations.wrote(scope, token, this.now());
        } catch (err) {
          this.state.generations.forget(scope);
          this.warn("cache invalidation failed; retrying", { scope, error: errorName(err) });
          this.background(this.retryBump(scope), "cache invalidation failed for good");
        }
      }),
    );
  }

  /** The KV key an entry is stored under right now (operators and tests). */
  async storageKey<P, V>(kind: CacheKind<P, V>, params: P): Promise<string> {
    const tokens = await this.generations(kind.scopes(params));
    if (!tokens) throw new Error("a generation token is unreadable");
    return this.storageKeyFor(kind, tokens, kind.key(params));
  }

  private async readThrough<P, V>(
    kind: CacheKind<P, V>,
    params: P,
    load: () => Promise<V>,
    opts: ReadOptions<V>,
  ): Promise<CacheRead<V>> {
    const count = (name: CounterName) => this.state.stats.count(kind.name, name);
    let tokens: string[] | undefined;
    try {
      tokens = await this.generations(kind.scopes(params));
      if (!tokens) count("invalid");
    } catch (err) {
      count("kvErrors");
      this.warn("cache generation read failed", { kind: kind.name, error: errorName(err) });
    }
    if (!tokens) {
      // Without the current generation no entry can be trusted, nor stored: straight to the source.
      count("misses");
      return { value: await load(), outcome: "miss" };
    }
    const key = await this.storageKeyFor(kind, tokens, kind.key(params));
    const now = this.now();

    const inMemory = this.state.memory.get(key, now);
    if (inMemory) {
      if (now < inMemory.freshUntil) {
        count("hits");
        count("memoryHits");
        return { value: inMemory.value as V, outcome: "hit" };
      }
      count("staleServes");
      this.refresh(kind, key, load, opts);
      return { value: inMemory.value as V, outcome: "stale" };
    }

    let raw: string | null = null;
    try {
      raw = await this.kv.get(key, "text");
    } catch (err) {
      count("kvErrors");
      this.warn("cache read failed", { kind: kind.name, error: errorName(err) });
    }
    if (raw !== null) {
      const entry = decode(kind, raw);
      if (!entry) {
        count("invalid");
      } else {
        const times = lifetime(kind, entry.t);
        if (now < times.staleUntil) {
          this.state.memory.set(key, { value: entry.v, bytes: raw.length, ...times });
          if (now < times.freshUntil) {
            count("hits");
            return { value: entry.v, outcome: "hit" };
          }
          count("staleServes");
          this.refresh(kind, key, load, opts);
          return { value: entry.v, outcome: "stale" };
        }
      }
    }

    count("misses");
    const value = await load();
    if (opts.store && !opts.store(value)) return { value, outcome: "miss" };
    const stored = this.encode(kind, key, value);
    if (!stored) return { value, outcome: "miss" };
    this.background(this.put(kind, key, stored.json), "cache write failed");
    return { value: stored.value, outcome: "miss" };
  }

  /** Reloads an entry in `waitUntil`, at most one refresh per key in this isolate at a time. */
  private refresh<P, V>(
    kind: CacheKind<P, V>,
    key: string,
    load: () => Promise<V>,
    opts: ReadOptions<V>,
  ) {
    const started = this.state.refreshing.get(key);
    const now = this.now();
    if (started !== undefined && now - started < REFRESH_TIMEOUT_MS) return;
    this.state.refreshing.set(key, now);
    const work = (async () => {
      try {
        const value = await load();
        if (opts.store && !opts.store(value)) {
          // The source no longer has it: stop serving the stale copy.
          this.state.memory.delete(key);
          await this.kv.delete(key);
        } else {
          const stored = this.encode(kind, key, value);
          if (stored) await this.put(kind, key, stored.json);
        }
        this.state.stats.count(kind.name, "refreshes");
      } catch (err) {
        this.state.stats.count(kind.name, "refreshFailures");
        this.warn("cache refresh failed", { kind: kind.name, error: errorName(err) });
      } finally {
        if (this.state.refreshing.get(key) === now) this.state.refreshing.delete(key);
      }
    })();
    this.background(work, "cache refresh failed");
  }

  /**
   * The value as every later reader will get it (through JSON and the kind's schema), put in
   * the isolate tier; undefined, and nothing stored, when it does not fit its own schema.
   */
  private encode<P, V>(kind: CacheKind<P, V>, key: string, value: V) {
    const filledAt = this.now();
    const json = JSON.stringify({ t: filledAt, v: value });
    const entry = decode(kind, json);
    if (!entry) {
      this.state.stats.count(kind.name, "invalid");
      this.warn("cache value does not match its schema; not stored", { kind: kind.name });
      return undefined;
    }
    this.state.memory.set(key, { value: entry.v, bytes: json.length, ...lifetime(kind, filledAt) });
    return { json, value: entry.v };
  }

  private async put<P, V>(kind: CacheKind<P, V>, key: string, json: string) {
    try {
      await this.kv.put(key, json, { expirationTtl: kind.freshSeconds + kind.staleSeconds });
    } catch (err) {
      this.state.stats.count(kind.name, "kvErrors");
      throw err;
    }
  }

  /**
   * Current tokens of the scopes (this isolate's memory, else KV: `generations.ts`), or
   * undefined when one of them is not a token we write.
   */
  private async generations(scopes: string[]): Promise<string[] | undefined> {
    const now = this.now();
    const tokens = await Promise.all(
      scopes.map((scope) =>
        this.state.generations.token(scope, now, () => this.kv.get(generationKey(scope), "text")),
      ),
    );
    return tokens.every((t) => t !== undefined) ? (tokens as string[]) : undefined;
  }

  /** `cache:v1:<kind>@<version>:<tokens>:<key>`: readable keys as they are, others hashed. */
  private async storageKeyFor<P, V>(kind: CacheKind<P, V>, tokens: string[], key: string) {
    let part = READABLE_KEY.test(key) ? key : this.state.hashedKeys.get(key);
    if (part === undefined) {
      part = `h-${await sha256Hex(key)}`;
      const hashed = this.state.hashedKeys;
      if (hashed.size >= MAX_HASHED_KEYS) hashed.clear();
      hashed.set(key, part);
    }
    return `cache:v1:${kind.name}@${kind.version}:${tokens.join(".")}:${part}`;
  }

  private async retryBump(scope: string) {
    for (const [i, delay] of BUMP_RETRIES.entries()) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        const token = newToken();
        await this.kv.put(generationKey(scope), token, { expirationTtl: GENERATION_TTL_SECONDS });
        this.state.generations.wrote(scope, token, this.now());
        return;
      } catch (err) {
        if (i === BUMP_RETRIES.length - 1) throw err;
      }
    }
  }

  private background(work: Promise<unknown>, failure: string) {
    this.deps.waitUntil(
      work.catch((err: unknown) => this.warn(failure, { error: errorName(err) })),
    );
  }

  private warn(msg: string, fields: Record<string, unknown>) {
    this.deps.warn?.(msg, fields);
  }
}

function decode<P, V>(kind: CacheKind<P, V>, raw: string): { t: number; v: V } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const outer = envelope.safeParse(parsed);
  if (!outer.success) return undefined;
  const inner = kind.schema.safeParse(outer.data.v);
  return inner.success ? { t: outer.data.t, v: inner.data } : undefined;
}

function lifetime<P, V>(kind: CacheKind<P, V>, filledAt: number) {
  const freshUntil = filledAt + kind.freshSeconds * 1000;
  return { filledAt, freshUntil, staleUntil: freshUntil + kind.staleSeconds * 1000 };
}

export const generationKey = (scope: string) => {
  if (scope.length === 0 || scope.length > 200) throw new Error(`bad cache scope "${scope}"`);
  return `cache:gen:${scope}`;
};

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A fresh generation token: time-ordered for people reading KV, random so bumps never collide. */
function newToken(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return `${Date.now().toString(36)}${random.toString(36).padStart(7, "0")}`;
}

const errorName = (err: unknown) => (err instanceof Error ? err.name : "unknown");
