/**
 * The benchmark's Worker: the real rate-limit middleware, clients and Durable Object behind a
 * bare route and the same scenarios in each mode (exact, fast), plus the reference limiter
 * (reference-limiter.ts, the minimal exact Durable Object) wired twice: behind a minimal route
 * that sets three `X-RateLimit-*` headers, and behind our middleware in place of our client and
 * object (same headers and body as `exact`, so the difference is the limiter alone). Every route
 * gets its identity from the same `as` middleware, standing in for authentication. Nothing else
 * (no Postgres, no Sentry): the numbers measure the limiter.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../../src/lib/context";
import { AppError } from "../../src/lib/errors";
import { problemResponse } from "../../src/lib/problem";
import type { RateLimitClient } from "../../src/lib/rate-limit/client";
import { rateLimit } from "../../src/lib/rate-limit/middleware";
import { defaultPolicies, type Policies } from "../../src/lib/rate-limit/policies";
import type { Mode } from "../../src/lib/rate-limit/types";
import type { FixedWindowLimiter } from "./reference-limiter";

export { RateLimiter } from "../../src/durable-objects/rate-limiter";
export { FixedWindowLimiter } from "./reference-limiter";

/** "Many keys": each request picks one of this many identities at random. */
const KEYS = 1_000;

const withApiLimit = (limit: number, windowMs: number, mode: Mode): Policies => ({
  ...defaultPolicies,
  api: { ...defaultPolicies.api, limit, windowMs, mode },
});

const app = new Hono<AppEnv>();

app.get("/bare", (c) => c.json({ ok: true }));

type KeyOf = (c: Context<AppEnv>) => string;

const as =
  (userId: KeyOf): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    c.set("userId", userId(c));
    await next();
  };
/** One of `KEYS` identities at random, or the one `?key=<n>` names (the bench primes them all). */
const anyOf =
  (prefix: string): KeyOf =>
  (c) =>
    `${prefix}-${c.req.query("key") ?? Math.floor(Math.random() * KEYS)}`;

// Each scenario in both modes: `/limited/<mode>/<scenario>`.
for (const mode of ["exact", "fast"] as const) {
  // 1,000 identities at random: each object is hit every KEYS / (req/s) seconds or so.
  app.get(
    `/limited/${mode}/many`,
    as(anyOf(`many-${mode}`)),
    rateLimit("api", { policies: withApiLimit(100, 60_000, mode) }),
    (c) => c.json({ ok: true }),
  );

  // A new identity per request: every request creates an object (not in the default run).
  app.get(
    `/limited/${mode}/fresh`,
    as(() => crypto.randomUUID()),
    rateLimit("api", { policies: withApiLimit(100, 60_000, mode) }),
    (c) => c.json({ ok: true }),
  );

  app.get(
    `/limited/${mode}/hot-under`,
    as(() => `hot-under-${mode}`),
    rateLimit("api", { policies: withApiLimit(1_000_000_000, 60_000, mode) }),
    (c) => c.json({ ok: true }),
  );

  // One request fits per hour: everything after the first is denied, in exact mode mostly by
  // the short-circuit, in fast mode by the isolate's model.
  app.get(
    `/limited/${mode}/hot-over`,
    as(() => `hot-over-${mode}`),
    rateLimit("api", { policies: withApiLimit(1, 3_600_000, mode) }),
    (c) => c.json({ ok: true }),
  );
}

const referenceNamespace = (env: unknown) =>
  (env as { REF_LIMITER: DurableObjectNamespace<FixedWindowLimiter> }).REF_LIMITER;

/**
 * The reference limiter behind a minimal route: one object per identity, one call per request.
 * It counts the identity `as` sets, like ours, so both pay for the same scaffolding.
 */
const reference =
  (limit: number, windowMs: number): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const ns = referenceNamespace(c.env);
    const result = await ns.get(ns.idFromName(c.get("userId") ?? "")).hit(limit, windowMs);
    const headers = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(result.remaining),
      "X-RateLimit-Reset": String(Math.ceil((Date.now() + result.resetMs) / 1000)),
    };
    if (!result.allowed) return c.json({ code: "RATE_LIMITED" }, 429, headers);
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };

/** The reference limiter as a `RateLimitClient`, for our middleware (single-limit policies). */
const referenceClient = (ns: DurableObjectNamespace<FixedWindowLimiter>): RateLimitClient => ({
  async check(key, limits) {
    const [limit] = limits;
    if (!limit || limits.length > 1) throw new Error("the reference limiter takes one limit");
    const { allowed, remaining, resetMs } = await ns
      .get(ns.idFromName(key))
      .hit(limit.limit, limit.windowMs);
    const retryAfterMs = allowed ? 0 : resetMs;
    const { name, windowMs } = limit;
    const result = {
      name,
      limit: limit.limit,
      windowMs,
      remaining,
      resetMs,
      retryAfterMs,
      allowed,
    };
    return { allowed, source: "origin", limits: [result] };
  },
});

app.get("/reference/many", as(anyOf("many")), reference(100, 60_000), (c) => c.json({ ok: true }));
app.get(
  "/reference/fresh",
  as(() => crypto.randomUUID()),
  reference(100, 60_000),
  (c) => c.json({ ok: true }),
);
app.get(
  "/reference/hot-under",
  as(() => "hot-under"),
  reference(1_000_000_000, 60_000),
  (c) => c.json({ ok: true }),
);

// The same scenarios through our middleware (`exact` policies), with the reference as client.
for (const [scenario, userId, limit] of [
  ["many", anyOf("many-reference"), 100],
  ["hot-under", () => "hot-under-reference", 1_000_000_000],
] as const) {
  app.get(
    `/reference/middleware/${scenario}`,
    as(userId),
    rateLimit("api", {
      policies: withApiLimit(limit, 60_000, "exact"),
      client: (c) => referenceClient(referenceNamespace(c.env)),
    }),
    (c) => c.json({ ok: true }),
  );
}

app.onError((err, c) => {
  const appError =
    err instanceof AppError ? err : new AppError({ code: "INTERNAL_ERROR", cause: err });
  return problemResponse(appError, new URL(c.req.url).pathname, "bench");
});

export default app;
