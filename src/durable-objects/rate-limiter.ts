import { DurableObject } from "cloudflare:workers";

/**
 * Distributed rate limiter, one object per identity key. The limiting algorithms land with the
 * rate-limiting issue; the binding, the SQLite-backed class migration and the readiness ping
 * exist from the start so deployments never need a class rename.
 */
export class RateLimiter extends DurableObject<Env> {
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}
