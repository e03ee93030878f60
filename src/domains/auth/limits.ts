/**
 * Rate limits of the /v1/auth/* routes. Every route keeps a per-address budget sized for NAT
 * (a classroom or a carrier's CGNAT behind one IPv4); what identifies a person (account, session,
 * user) is only ever an extra counter on top, never a replacement the client could choose.
 * Numbers and their reasons: src/lib/rate-limit/policies.ts and the README.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import type { AppEnv } from "../../lib/context";
import { DurableObjectRateLimitClient } from "../../lib/rate-limit/client";
import { rateLimitHeaders, retryAfterSeconds } from "../../lib/rate-limit/headers";
import {
  analyticsFromConfig,
  clientAddressKey,
  jsonBodyField,
  limitRequest,
  policiesFromEnv,
  rateLimit,
  setResponseHeaders,
  tooManyRequests,
} from "../../lib/rate-limit/middleware";
import { extraKeyIdentity } from "../../lib/rate-limit/ops";
import type { Decision } from "../../lib/rate-limit/types";
import { requireAuth } from "../../middleware/auth";

const analytics = analyticsFromConfig;
const email = jsonBodyField("email");
const refreshToken = jsonBodyField("refreshToken", { caseSensitive: true });
const signedInUser = (c: Context<AppEnv>) => {
  const userId = c.get("userId");
  return userId ? `user:${userId}` : undefined;
};

/** Routes before authentication: a per-address budget each (unknown paths: recovery's). */
const publicLimits: Record<string, MiddlewareHandler<AppEnv>> = {
  "/v1/auth/signup": rateLimit("signup", { analytics }),
  "/v1/auth/login": loginLimit(),
  "/v1/auth/password/forgot": rateLimit("recovery", {
    // One inbox gets at most a few reset emails an hour, whoever asks.
    extraKeys: [{ name: "recipient", extract: email, policy: "email" }],
    analytics,
  }),
  "/v1/auth/password/reset": rateLimit("recovery", { analytics }),
  "/v1/auth/email/verify": rateLimit("recovery", { analytics }),
  "/v1/auth/refresh": rateLimit("session", {
    extraKeys: [{ name: "session", extract: refreshToken, policy: "session-token" }],
    analytics,
  }),
  "/v1/auth/logout": rateLimit("session", {
    extraKeys: [{ name: "session", extract: refreshToken, policy: "session-token" }],
    analytics,
  }),
  // Behind requireAuth below: the address here, the signed-in user after authentication.
  "/v1/auth/logout-all": rateLimit("session", { analytics }),
  "/v1/auth/email/resend": rateLimit("session", { analytics }),
};
const otherAuthPaths = rateLimit("recovery", { analytics });

/** Registers the limits; call before the auth routes themselves. */
export function registerAuthLimits(app: OpenAPIHono<AppEnv>) {
  app.use("/v1/auth/*", (c, next) => (publicLimits[c.req.path] ?? otherAuthPaths)(c, next));
  app.use("/v1/auth/logout-all", requireAuth());
  app.use("/v1/auth/logout-all", rateLimit("session-token", { identity: signedInUser, analytics }));
  app.use("/v1/auth/email/resend", requireAuth());
  // Verification emails to one user: the email policy, like forgot-password's recipient.
  app.use("/v1/auth/email/resend", rateLimit("email", { identity: signedInUser, analytics }));
}

/** Guessing the current password is a credential attack: the auth policy, per user. */
export const changePasswordLimit = () => rateLimit("auth", { identity: signedInUser, analytics });

/**
 * Login: attempts per address (`login`), and wrong passwords per account (`login-failures`).
 * The failure count never blocks the account's owner: once an account has had its quota of
 * failures, an address that failed it gets 429 without its password being checked, while an
 * address that has not still has its password checked. Right → signed in; wrong → 429 (and
 * counted), so every further wrong guess ends in 429 whatever address it comes from.
 */
function loginLimit(): MiddlewareHandler<AppEnv> {
  return async function loginLimitMiddleware(c, next) {
    const attempts = await limitRequest(c, "login", { analytics });
    if (attempts.denial) return attempts.denial;
    const account = await email(c);
    if (!account) {
      await next();
      setResponseHeaders(c, attempts.headers);
      return;
    }
    const counters = await failureCounters(c, account);
    const [forAccount, fromHere] = await Promise.all([
      counters.peek("account"),
      counters.peek("pair"),
    ]);
    const locked = !hasRoom(forAccount);
    if (locked && used(fromHere) > 0) return denial(c, forAccount);

    await next();
    if (c.res.status === 401) {
      const [afterAccount] = await Promise.all([
        counters.charge("account"),
        counters.charge("pair"),
      ]);
      // Locked before this attempt, or filled by concurrent ones: this guess is one too many.
      if (locked || !afterAccount.allowed) {
        c.res = denial(c, afterAccount);
        return;
      }
    }
    setResponseHeaders(c, attempts.headers);
  };
}

/** The account's failure counter, and the account + this address's one (both hashed). */
async function failureCounters(c: Context<AppEnv>, account: string) {
  const policy = policiesFromEnv(c.env)["login-failures"];
  const address = clientAddressKey(c.req.header("CF-Connecting-IP"));
  const identities = {
    account: await extraKeyIdentity("account", account),
    pair: await extraKeyIdentity("account-address", `${account}\n${address}`),
  };
  const client = new DurableObjectRateLimitClient(
    c.env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>,
  );
  const count = (which: keyof typeof identities, cost: number) => {
    const key = `${policy.name}:${identities[which]}`;
    return client.check(
      key,
      [
        {
          name: policy.name,
          algorithm: policy.algorithm,
          limit: policy.limit,
          windowMs: policy.windowMs,
          cost,
          key,
        },
      ],
      { failureMode: policy.failureMode },
    );
  };
  return {
    /** Reads the counter without consuming. */
    peek: (which: keyof typeof identities) => count(which, 0),
    /** Records one failure (a full counter stays full until it decays). */
    charge: (which: keyof typeof identities) => count(which, 1),
  };
}

const hasRoom = (d: Decision) => d.allowed && (d.limits[0]?.remaining ?? 0) >= 1;
const used = (d: Decision) => (d.limits[0] ? d.limits[0].limit - d.limits[0].remaining : 0);

function denial(c: Context<AppEnv>, decision: Decision): Response {
  // A peek admits (cost 0): then the wait is until the failures have decayed (conservative).
  const waitMs = decision.limits.reduce(
    (ms, l) => Math.max(ms, l.allowed ? l.resetMs : l.retryAfterMs),
    1_000,
  );
  const denied: Decision = {
    ...decision,
    allowed: false,
    limits: decision.limits.map((l) => ({
      ...l,
      allowed: false,
      remaining: 0,
      retryAfterMs: waitMs,
    })),
  };
  return tooManyRequests(
    c,
    ["login-failures"],
    retryAfterSeconds(denied),
    rateLimitHeaders(denied),
  );
}
