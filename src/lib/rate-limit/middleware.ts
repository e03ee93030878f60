import type { Context, MiddlewareHandler } from "hono";
import { dbFromConfig } from "../../db/client";
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

/** A further counter checked all-or-nothing with the primary one, e.g. per account on login. */
export interface ExtraKey {
  /** Names the counter: `<policy>:<name>` in headers, 429 bodies and the object key. */
  name: string;
  /** The value to count by; hashed, so emails and tokens never become object names. */
  extract: Extract<string | undefined>;
  /** The policy whose limit applies to this counter (default: the primary policy). */
  policy?: PolicyName;
}

export interface RateLimitOptions {
  /**
   * Counts the primary counter by this identity (e.g. `user:<id>` of a verified token) instead
   * of the user/IP the policy names. Only for server-derived values: a client must never pick
   * its own bucket. `undefined` falls back to user/IP.
   */
  identity?: Extract<string | undefined>;
  /** Extra counters, never replacements: the primary (address or user) key always applies. */
  extraKeys?: ExtraKey[];
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

export interface LimitOutcome {
  /** Response headers describing the decision (set them on the response when allowed). */
  headers: Record<string, string>;
  /** The 429 problem response, when denied. */
  denial?: Response;
}

/**
 * Checks one request against a policy (and any extra counters) and returns the headers, plus
 * the 429 response when denied. The building block of `rateLimit` and of `requireAuth`, which
 * must decide before it knows whether the caller is who the token says.
 */
export async function limitRequest(
  c: Context<AppEnv>,
  policyName: PolicyName,
  opts: RateLimitOptions = {},
): Promise<LimitOutcome> {
  const policies = opts.policies ?? policiesFromEnv(c.env);
  const policy = policies[policyName];
  const client = opts.client?.(c, policy) ?? defaultClient(c, policy);
  const waitUntil = waitUntilOf(c);
  const identity = (opts.identity && (await opts.identity(c))) || identityOf(c, policy);
  const cost = typeof opts.cost === "function" ? await opts.cost(c) : (opts.cost ?? 1);
  const limits: Limit[] = [limitOf(policy, policy.name, `${policy.name}:${identity}`, cost)];
  for (const extraKey of opts.extraKeys ?? []) {
    const value = await extraKey.extract(c);
    if (!value) continue;
    const name = `${policy.name}:${extraKey.name}`;
    const extraPolicy = extraKey.policy ? policies[extraKey.policy] : policy;
    limits.push(limitOf(extraPolicy, name, `${name}:${await digest(value)}`, cost));
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
  if (decision.allowed) return { headers };
  const violated = decision.limits.filter((l) => !l.allowed).map((l) => l.name);
  return { headers, denial: tooManyRequests(c, violated, retryAfterSeconds(decision), headers) };
}

/** The 429 problem response (answered directly: a flood of denials skips the error path). */
export function tooManyRequests(
  c: Context<AppEnv>,
  policies: string[],
  retryAfter: number,
  headers: Record<string, string>,
): Response {
  return problemResponse(
    new AppError({
      code: "RATE_LIMITED",
      detail: `Rate limit exceeded (${policies.join(", ")}). Retry in ${retryAfter} s.`,
      extensions: { policies, retryAfterSeconds: retryAfter },
      headers: { ...headers, "Retry-After": String(retryAfter) },
    }),
    new URL(c.req.url).pathname,
    c.get("requestId") ?? "",
  );
}

/** Sets headers on the response, which may be immutable (a proxied response). */
export function setResponseHeaders(
  c: Context<AppEnv>,
  headers: Record<string, string>,
  opts: { unlessSet?: boolean } = {},
) {
  // A route's own policy (set by an inner limiter) says more than the general one around it,
  // and a denial's headers (from whichever limiter refused) are never replaced by an allowance.
  const already = c.res.headers.has("RateLimit-Policy");
  if (already && (opts.unlessSet || c.res.status === 429)) return;
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  }
}

/**
 * Limits a route by a named policy: `app.use("/v1/x", rateLimit("strict"))`. Needs only the
 * `RATE_LIMITER` binding (no database). A denial is answered here with a 429 problem.
 */
export function rateLimit(
  policyName: PolicyName,
  opts: RateLimitOptions = {},
): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const { headers, denial } = await limitRequest(c, policyName, opts);
    if (denial) return denial;
    await next();
    // Also reaches error responses: Hono has already turned a thrown error into `c.res`.
    setResponseHeaders(c, headers);
  };
}

/**
 * Extractor for a string field of a JSON body, trimmed and lower-cased (e.g. an email);
 * `caseSensitive` keeps the case (tokens).
 */
export function jsonBodyField(
  field: string,
  opts: { caseSensitive?: boolean } = {},
): Extract<string | undefined> {
  return async (c) => {
    // Same test as requireJson and the validator: any casing or +json type still keys the account.
    if (!isJsonContentType(c.req.header("Content-Type"))) return undefined;
    try {
      // Hono caches the parsed body, so the route's validator reads it again for free.
      const body: unknown = await c.req.json();
      if (typeof body !== "object" || body === null) return undefined;
      const value: unknown = (body as Record<string, unknown>)[field];
      if (typeof value !== "string" || !value.trim()) return undefined;
      return opts.caseSensitive ? value.trim() : value.trim().toLowerCase();
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
    connect: () => dbFromConfig(config, { maxTimeoutMs: 5_000 }),
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

export function policiesFromEnv(env: object): Policies {
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
