import { DurableObject } from "cloudflare:workers";

/**
 * The yardstick for `npm run bench`: the smallest exact limiter a Durable Object allows. A fixed
 * window per key, read and written with the synchronous `ctx.storage.kv` API. Exact under any
 * concurrency because an object runs one request at a time and nothing is awaited between the
 * read and the write. It never cleans up and has no overrides, no multi-limit checks and no
 * sliding window: whatever the real limiter costs beyond this is the price of those.
 */
export class FixedWindowLimiter extends DurableObject {
  hit(limit: number, windowMs: number): { allowed: boolean; remaining: number; resetMs: number } {
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetMs = (window + 1) * windowMs - now;
    const stored = this.ctx.storage.kv.get<{ window: number; count: number }>("count");
    const count = stored?.window === window ? stored.count : 0;
    if (count >= limit) return { allowed: false, remaining: 0, resetMs };
    this.ctx.storage.kv.put("count", { window, count: count + 1 });
    return { allowed: true, remaining: limit - count - 1, resetMs };
  }
}
