import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { AppError } from "../errors";
import { DurableObjectRateLimitClient, type RateLimitClient } from "./client";
import { rateLimitHeaders, retryAfterSeconds } from "./headers";
import {
  type Policies,
  type Policy,
  PolicyConfigError,
  type PolicyName,
  resolvePolicies,
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
  /** Units this request costs (default 1), e.g. by upload size class. */
  cost?: number | Extract<number>;
  /** Replaces the Durable Object client (tests, or the no-op twin). */
  client?: (c: Context<AppEnv>) => RateLimitClient;
  /** Replaces the policies resolved from `RATE_LIMIT_POLICIES`. */
  policies?: Policies;
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
    const client = opts.client?.(c) ?? new DurableObjectRateLimitClient(c.env.RATE_LIMITER);
    const identity = identityOf(c, policy);
    const cost = typeof opts.cost === "function" ? await opts.cost(c) : (opts.cost ?? 1);
    const limits: Limit[] = [limitOf(policy, policy.name, `${policy.name}:${identity}`, cost)];
    const extra = opts.extraKey && (await opts.extraKey.extract(c));
    if (opts.extraKey && extra) {
      const name = `${policy.name}:${opts.extraKey.name}`;
      limits.push(limitOf(policy, name, `${name}:${await digest(extra)}`, cost));
    }

    const decision = await client.check(`${policy.name}:${identity}`, limits, {
      failureMode: policy.failureMode,
    });
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      const violated = decision.limits.filter((l) => !l.allowed).map((l) => l.name);
      const retryAfter = retryAfterSeconds(decision);
      throw new AppError({
        code: "RATE_LIMITED",
        detail: `Rate limit exceeded (${violated.join(", ")}). Retry in ${retryAfter} s.`,
        extensions: { policies: violated, retryAfterSeconds: retryAfter },
        headers,
      });
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

/** Extractor for a string field of a JSON body, trimmed and lower-cased (e.g. an email). */
export function jsonBodyField(field: string): Extract<string | undefined> {
  return async (c) => {
    if (!c.req.header("Content-Type")?.includes("application/json")) return undefined;
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
  return `ip:${c.req.header("CF-Connecting-IP") ?? "unknown"}`;
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
