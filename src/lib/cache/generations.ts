/** How long an isolate trusts a generation token it read from KV (README: adds to the bound). */
export const GENERATION_MEMORY_MS = 5_000;

const TOKEN = /^[a-z0-9]{1,32}$/;

/** Whether a stored generation value is one the cache writes (`null`: never bumped, "0"). */
export function validToken(raw: string | null): string | undefined {
  const token = raw ?? "0";
  return TOKEN.test(token) ? token : undefined;
}

/**
 * The generation tokens this isolate knows, per scope: read from KV at most once per
 * `ttlMs` per scope (concurrent readers share one read), and replaced at once by a write from
 * this isolate, so its own next read sees its write. Invalid values and failed reads are never
 * kept: every read tries KV again. Bounded in scopes (oldest first out): a scope per unknown
 * slug must not grow an isolate's memory.
 */
export class GenerationTier {
  private readonly known = new Map<string, { token: string; until: number }>();
  private readonly reading = new Map<string, Promise<string | undefined>>();
  /** Counts this isolate's writes: a read that started before one is used but not kept. */
  private writes = 0;

  constructor(
    readonly ttlMs = GENERATION_MEMORY_MS,
    readonly maxScopes = 1_000,
  ) {}

  get size(): number {
    return this.known.size;
  }

  /** The current token of `scope` (undefined when KV holds a value the cache did not write). */
  token(
    scope: string,
    now: number,
    read: () => Promise<string | null>,
  ): Promise<string | undefined> | string {
    const known = this.known.get(scope);
    if (known && now < known.until) return known.token;
    const running = this.reading.get(scope);
    if (running) return running;
    const writes = this.writes;
    const pending = read()
      .then((raw) => {
        const token = validToken(raw);
        // Trusted from when the read started, so never longer than ttlMs after KV answered.
        if (token !== undefined && this.writes === writes) this.keep(scope, token, now);
        return token;
      })
      .finally(() => {
        if (this.reading.get(scope) === pending) this.reading.delete(scope);
      });
    this.reading.set(scope, pending);
    return pending;
  }

  /** This isolate wrote `token` to KV: its next read of `scope` uses it, whatever is in flight. */
  wrote(scope: string, token: string, now: number) {
    this.writes++;
    this.reading.delete(scope);
    this.keep(scope, token, now);
  }

  /** A write of `scope` failed: read KV again next time rather than trust what is known. */
  forget(scope: string) {
    this.writes++;
    this.reading.delete(scope);
    this.known.delete(scope);
  }

  clear() {
    this.writes++;
    this.known.clear();
    this.reading.clear();
  }

  private keep(scope: string, token: string, now: number) {
    this.known.delete(scope); // re-inserted: Map order becomes recency order
    this.known.set(scope, { token, until: now + this.ttlMs });
    for (const oldest of this.known.keys()) {
      if (this.known.size <= this.maxScopes) break;
      this.known.delete(oldest);
    }
  }
}
