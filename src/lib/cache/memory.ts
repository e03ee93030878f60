/** One value in the isolate tier: the parsed value and the times that decide how it is served. */
export interface MemoryEntry {
  value: unknown;
  filledAt: number;
  freshUntil: number;
  staleUntil: number;
  /** Size of its stored JSON, in UTF-16 units: an estimate of what it holds in memory. */
  bytes: number;
}

/**
 * The isolate tier in front of KV: least recently used first out, bounded in entries and in
 * (estimated) bytes, so a burst of distinct keys cannot grow an isolate's memory. Keys carry the
 * generations they were filled under, so an invalidation needs nothing from this tier: later
 * reads ask for a different key, and the old entries age out.
 */
export class MemoryTier {
  private readonly entries = new Map<string, MemoryEntry>();
  private used = 0;

  constructor(
    readonly maxEntries = 500,
    readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.used;
  }

  /** The entry while it may still be served (fresh or stale); expired entries are dropped. */
  get(key: string, now: number): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (now >= entry.staleUntil) {
      this.used -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry); // re-inserted: Map order becomes recency order
    return entry;
  }

  set(key: string, entry: MemoryEntry) {
    this.delete(key);
    // One value may not take more than a quarter of the tier: it would flush everything else.
    if (entry.bytes > this.maxBytes / 4) return;
    this.entries.set(key, entry);
    this.used += entry.bytes;
    for (const [oldest, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= e.bytes;
    }
  }

  delete(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  clear() {
    this.entries.clear();
    this.used = 0;
  }
}
