import type { Context, MiddlewareHandler } from "hono";
import { createDb } from "../../db/client";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { isJsonContentType } from "../../middleware/require-json";
import type { AppEnv } from "../context";
import { AppError } from "../errors";
import { problemResponse } from "../problem";
import { type AnalyticsTarget, isolateAnalytics, type RateLimitAnalytics } from "./analytics";
import { DurableObjectRateLimitClient, type RateLimitClient } from "./client";
import { FastRateLimitClient } from "./fast";
import { rateLimitHeaders, retryAfterSeconds } from "./headers";
import {
  type Policies,
  type Policy,
  PolicyConfigError,
  type PolicyName,
  resolvePolicies,
  syncBatchOf,
} from "./policies";
import type { Limit } from "./types";

type Extract<T> = (c: Context<AppEnv>) => T | Promise<T>;

export interface RateLimitOptions {
  /**
   * A second identity checked in the same call, all-or-nothing with the first: e.g. per account
   * on login (`{ name: "account", extract: jsonBodyField("email") }`). The value is hashed, so
   * emails never become object names; `undefined` skips it.
   */
  extraKey?: { name: string; extract: Extract<string | undefined> };
  /**
   * Keys the limit by something other than user/IP, e.g. the session a refresh token belongs
   * to, so a classroom behind one address does not share one budget. Hashed; `undefined`
   * falls back to user/IP.
   */
  key?: { name: string; extract: Extract<string | undefined> };
  /** Units this request costs (default 1), e.g. by upload size class. */
  cost?: number | Extract<number>;
  /** Replaces the client the policy's mode picks (tests, or the no-op twin). */
  client?: (c: Context<AppEnv>, policy: Policy) => RateLimitClient;
  /** Replaces the policies resolved from `RATE_LIMIT_POLICIES`. */
  policies?: Policies;
  /**
   * Counts allowed/denied per policy, key and minute into `rate_limit_counters`, flushed in
   * batches off the request path (e.g. `analytics: analyticsFromConfig`). Unset: no analytics.
   */
  analytics?: (c: Context<AppEnv>) => AnalyticsTarget | undefined;
  /** The isolate buffer analytics go to (tests pass their own). */
  analyticsBuffer?: RateLimitAnalytics;
}

/**
 * Limits a route by a named policy: `app.use("/v1/auth/*", rateLimit("auth"))`. Needs only the
 * `RATE_LIMITER` binding (no database). A deny throws RATE_LIMITED for the app's error handler.
 */
export function rateLimit(
  policyName: PolicyName,
  opts: RateLimitOptions = {},
): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const policy = (opts.policies ?? policiesFromEnv(c.env))[policyName];
    const client = opts.client?.(c, policy) ?? defaultClient(c, policy);
    const waitUntil = waitUntilOf(c);
    const own = opts.key && (await opts.key.extract(c));
    const identity =
      opts.key && own ? `${opts.key.name}:${await digest(own)}` : identityOf(c, policy);
    const cost = typeof opts.cost === "function" ? await opts.cost(c) : (opts.cost ?? 1);
    const limits: Limit[] = [limitOf(policy, policy.name, `${policy.name}:${identity}`, cost)];
    const extra = opts.extraKey && (await opts.extraKey.extract(c));
    if (opts.extraKey && extra) {
      const name = `${policy.name}:${opts.extraKey.name}`;
      limits.push(limitOf(policy, name, `${name}:${await digest(extra)}`, cost));
    }

    const decision = await client.check(`${policy.name}:${identity}`, limits, {
      failureMode: policy.failureMode,
      waitUntil,
    });
    const target = opts.analytics?.(c);
    if (target) {
      // Short-circuited and locally decided denials are counted too: they never reach the object.
      const buffer = opts.analyticsBuffer ?? isolateAnalytics;
      buffer.record(policy.name, identity, decision.allowed);
      buffer.maybeFlush(target, waitUntil);
    }
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      const violated = decision.limits.filter((l) => !l.allowed).map((l) => l.name);
      const retryAfter = retryAfterSeconds(decision);
      // Answered here rather than thrown: a flood of denials skips the error path entirely.
      return problemResponse(
        new AppError({
          code: "RATE_LIMITED",
          detail: `Rate limit exceeded (${violated.join(", ")}). Retry in ${retryAfter} s.`,
          extensions: { policies: violated, retryAfterSeconds: retryAfter },
          headers,
        }),
        new URL(c.req.url).pathname,
        c.get("requestId") ?? "",
      );
    }

    await next();
    // Also reaches error responses: Hono has already turned a thrown error into `c.res`.
    try {
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    } catch {
      c.res = new Response(c.res.body, c.res); // immutable headers (a proxied response)
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    }
  };
}

/** Extractor for the bearer token of the request (hashed by the caller), if any. */
export const bearerToken: Extract<string | undefined> = (c) =>
  /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "")?.[1];

/** Extractor for a string field of a JSON body, trimmed and lower-cased (e.g. an email). */
export function jsonBodyField(field: string): Extract<string | undefined> {
  return async (c) => {
    // Same test as requireJson and the validator: any casing or +json type still keys the account.
    if (!isJsonContentType(c.req.header("Content-Type"))) return undefined;
    try {
      // Hono caches the parsed body, so the route's validator reads it again for free.
      const body: unknown = await c.req.json();
      if (typeof body !== "object" || body === null) return undefined;
      const value: unknown = (body as Record<string, unknown>)[field];
      return typeof value === "string" && value.trim() ? value.trim().toLowerCase() : undefined;
    } catch {
      return undefined; // malformed JSON: the route's validator reports it
    }
  };
}

/** The user id when signed in (and the policy allows it), else the client IP from Cloudflare. */
export function identityOf(c: Context<AppEnv>, policy: Pick<Policy, "key">): string {
  const userId = policy.key === "user-or-ip" ? c.get("userId") : undefined;
  if (userId) return `user:${userId}`;
  // Never X-Forwarded-For: clients can set it; Cloudflare sets CF-Connecting-IP itself.
  return `ip:${clientAddressKey(c.req.header("CF-Connecting-IP"))}`;
}

/**
 * IPv4 as is; IPv6 by its /64, since one subscriber usually holds a whole /64 and could
 * otherwise rotate through addresses to escape per-IP limits.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

function defaultClient(c: Context<AppEnv>, policy: Policy): RateLimitClient {
  const namespace = c.env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
  if (policy.mode === "fast") {
    return new FastRateLimitClient(namespace, { syncBatch: syncBatchOf(policy) });
  }
  return new DurableObjectRateLimitClient(namespace);
}

// `app.request()` without an execution context (tests) has none: the work then runs detached.
function waitUntilOf(c: Context<AppEnv>): (promise: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return (promise) => {
      promise.catch(() => undefined);
    };
  }
}

/**
 * Analytics to this environment's database, with IPs hashed by the `RATE_LIMIT_IP_SALT`
 * secret; without the secret, no analytics (raw IPs are never stored). Needs `init` first.
 */
export function analyticsFromConfig(c: Context<AppEnv>): AnalyticsTarget | undefined {
  const salt = "RATE_LIMIT_IP_SALT" in c.env ? c.env.RATE_LIMIT_IP_SALT : undefined;
  const config = c.get("config");
  if (typeof salt !== "string" || salt.length < 16 || !config) return undefined;
  return {
    ipSalt: salt,
    connect: () =>
      createDb({
        url: config.DATABASE_URL,
        wsProxy: config.NEON_WS_PROXY,
        timeoutMs: Math.min(config.DB_QUERY_TIMEOUT_MS, 5_000),
      }),
  };
}

function limitOf(policy: Policy, name: string, key: string, cost: number): Limit {
  return {
    name,
    algorithm: policy.algorithm,
    limit: policy.limit,
    windowMs: policy.windowMs,
    cost,
    key,
  };
}

function policiesFromEnv(env: object): Policies {
  const raw = "RATE_LIMIT_POLICIES" in env ? env.RATE_LIMIT_POLICIES : undefined;
  try {
    return resolvePolicies(typeof raw === "string" ? raw : undefined);
  } catch (err) {
    if (!(err instanceof PolicyConfigError)) throw err;
    throw new AppError({
      code: "BAD_ENVIRONMENT",
      detail: "The service is misconfigured. The operators have been notified.",
      cause: err,
    });
  }
}

async function digest(value: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Array.from(new Uint8Array(bytes).slice(0, 16), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
