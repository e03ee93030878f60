import { sql } from "drizzle-orm";
import { type Database, withTimeout } from "../../db/client";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import type { DependencyCheck, Readiness } from "./schemas";

export interface ReadinessDeps {
  db: () => Database;
  cache: KVNamespace;
  rateLimiter: DurableObjectNamespace<RateLimiter>;
  timeoutMs: number;
}

async function timed(timeoutMs: number, fn: () => Promise<void>): Promise<DependencyCheck> {
  const started = performance.now();
  try {
    await withTimeout(timeoutMs, fn);
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === "DatabaseTimeoutError";
    return {
      status: "fail",
      latencyMs: Math.round(performance.now() - started),
      error: timedOut ? `no answer within ${timeoutMs} ms` : "unreachable or failing",
    };
  }
}

/**
 * Checks every dependency in parallel, each bounded by the timeout. Reads only: anyone may call
 * this, so it writes nothing (KV writes cost money and allow one write per key per second) and
 * nothing in it depends on what the client sent.
 */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const [postgres, kv, durableObject] = await Promise.all([
    timed(deps.timeoutMs, async () => {
      await deps.db().execute(sql`select 1`);
    }),
    timed(deps.timeoutMs, async () => {
      // A read of a fixed key answers (null) only when KV does.
      await deps.cache.get("health:probe");
    }),
    timed(deps.timeoutMs, async () => {
      const stub = deps.rateLimiter.get(deps.rateLimiter.idFromName("health:probe"));
      const pong = await stub.ping();
      if (!pong.ok) throw new Error("durable object ping failed");
    }),
  ]);
  const checks = { postgres, kv, durableObject };
  const failed = Object.entries(checks)
    .filter(([, c]) => c.status === "fail")
    .map(([name]) => name);
  return { status: failed.length ? "fail" : "ok", failed, checks };
}
