import * as z from "zod";
import type { Algorithm, FailureMode, Mode } from "./types";

/**
 * Who a policy counts: `user-or-ip` = the authenticated user id, else the client IP
 * (`CF-Connecting-IP`); `ip` = always the client IP (e.g. login, where nobody is signed in yet).
 */
export type KeyKind = "user-or-ip" | "ip";

export interface Policy {
  name: PolicyName;
  limit: number;
  windowMs: number;
  algorithm: Algorithm;
  key: KeyKind;
  /** What happens when the limiter is unavailable: let traffic through, or answer 503. */
  failureMode: FailureMode;
  /** `fast` only makes sense where an approximate answer is acceptable: fail-open policies. */
  mode: Mode;
  /**
   * Fast mode: units an isolate may admit before the object has confirmed them (default: a
   * tenth of the limit, at least 1). Bounds over-admission: ≤ syncBatch per isolate per window.
   */
  syncBatch?: number;
}

/** The fast-mode batch in effect for a policy. */
export function syncBatchOf(policy: Pick<Policy, "limit" | "syncBatch">): number {
  return policy.syncBatch ?? Math.max(1, Math.ceil(policy.limit / 10));
}

export const policyNames = [
  "api",
  "auth",
  "login",
  "login-failures",
  "signup",
  "recovery",
  "email",
  "session",
  "session-token",
  "upload",
  "payment",
  "strict",
  "health",
  "catalogue",
  "webhook",
] as const;
export type PolicyName = (typeof policyNames)[number];
export type Policies = Readonly<Record<PolicyName, Policy>>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Fail-closed, exact, sliding-window: the shape of every credential and public-write policy. */
const guard = (name: PolicyName, limit: number, windowMs: number, key: KeyKind = "ip"): Policy => ({
  name,
  limit,
  windowMs,
  algorithm: "sliding-window",
  key,
  failureMode: "closed",
  mode: "exact",
});

/**
 * Sized for how students connect: a coaching centre's Wi-Fi or a carrier's CGNAT puts a whole
 * class, or thousands of subscribers, behind one IPv4 address. Per-address budgets therefore
 * bound a single source's volume without tripping over a classroom; guessing is bounded per
 * account by counting *failures* (see the README's rate-limit table for every number's reason).
 * Only `api`, `health` and `catalogue` fail open: they guard general traffic and cheap reads,
 * where an outage of the limiter should not become an outage of the API. The others guard
 * credentials, money and unauthenticated writes, where an unthrottled pass is the bigger risk.
 */
export const defaultPolicies: Policies = {
  // Token bucket: API clients burst (page loads fan out), then settle at 5 req/s. Per user; per
  // address for requests whose token fails verification.
  api: {
    name: "api",
    limit: 300,
    windowMs: MINUTE,
    algorithm: "gcra",
    key: "user-or-ip",
    failureMode: "open",
    mode: "fast",
  },
  // Guessing the current password on /v1/me/password: per signed-in user.
  auth: guard("auth", 10, 15 * MINUTE, "user-or-ip"),
  // Login attempts per address: 200 per 5 min lets a class of 40 (and its retries) in at once.
  login: guard("login", 200, 5 * MINUTE),
  // Wrong passwords per account (any address), and per account + address: after 10 in 15 min
  // the account answers 429 to addresses that failed it, while a fresh address with the right
  // password still gets in, so an attacker cannot lock the owner out.
  "login-failures": guard("login-failures", 10, 15 * MINUTE),
  // New accounts per address: a whole class signing up together fits.
  signup: guard("signup", 60, 15 * MINUTE),
  // Password reset, email verification: per address; the 256-bit tokens make guessing moot.
  recovery: guard("recovery", 60, 15 * MINUTE),
  // Emails to one recipient (forgot-password per address entered, resend per user).
  email: guard("email", 5, HOUR),
  // Refresh, logout, logout-all, resend per address: 1,000 students behind one CGNAT address
  // refreshing every 15 minutes make about 70 a minute.
  session: guard("session", 300, MINUTE),
  // The same routes per session (refresh token) or user, on top of the address: retries and
  // several tabs fit, a loop on one session does not.
  "session-token": guard("session-token", 30, 15 * MINUTE),
  // Uploads cost storage and processing and clients can retry a 503, so fail closed. Callers
  // may charge by size class through the middleware's `cost`.
  upload: { ...guard("upload", 50, HOUR, "user-or-ip"), algorithm: "gcra" },
  payment: guard("payment", 10, HOUR, "user-or-ip"),
  // Other public (unauthenticated) writes, e.g. the admin-request verification link.
  strict: guard("strict", 5, MINUTE),
  // /health/ready touches every dependency: monitors call it every few seconds, a flood does not
  // get to. Fails open: a limiter outage is for readiness to report, not to hide.
  health: {
    name: "health",
    limit: 60,
    windowMs: MINUTE,
    algorithm: "sliding-window",
    key: "ip",
    failureMode: "open",
    mode: "fast",
  },
  // Public catalogue reads (/v1/courses…), per address: a class of 60 on one Wi-Fi, each opening
  // the list, a few filters and course pages (about 10 a minute), or the share of a CGNAT
  // address's subscribers browsing at once. Cached and cheap, so it fails open and decides in
  // the isolate (GCRA: a page load's burst passes, then 10 a second). Fast mode's bound: an
  // address gets at most 600 + 60 (the sync batch) per isolate that serves it in a minute.
  catalogue: {
    name: "catalogue",
    limit: 600,
    windowMs: MINUTE,
    algorithm: "gcra",
    key: "ip",
    failureMode: "open",
    mode: "fast",
  },
  // Signed provider webhooks, counted per provider (`provider:zoom`), never per address: Zoom
  // delivers from a handful of addresses, and a class of 200 joining in a minute is 200 events
  // at once, times every class starting on the hour. Checked only after the signature, so
  // unsigned requests cost an HMAC and never a counter. A ceiling that protects the database,
  // not fairness: fails open, decided in the isolate. A 429 is not a loss: Zoom retries later.
  webhook: {
    name: "webhook",
    limit: 12_000,
    windowMs: MINUTE,
    algorithm: "gcra",
    key: "ip",
    failureMode: "open",
    mode: "fast",
  },
};

const policyOverrideSchema = z.strictObject({
  limit: z.number().int().nonnegative().optional(),
  windowMs: z
    .number()
    .int()
    .positive()
    .max(31 * 24 * HOUR)
    .optional(),
  algorithm: z.enum(["sliding-window", "gcra"]).optional(),
  key: z.enum(["user-or-ip", "ip"]).optional(),
  failureMode: z.enum(["open", "closed"]).optional(),
  mode: z.enum(["exact", "fast"]).optional(),
  syncBatch: z.number().int().positive().optional(),
});

/**
 * The `RATE_LIMIT_POLICIES` variable: JSON overriding any field of any policy, e.g.
 * `{"auth":{"limit":20},"api":{"windowMs":10000,"mode":"exact"}}`. Unknown policies or fields
 * are errors.
 */
export const policyOverridesSchema = z.partialRecord(z.enum(policyNames), policyOverrideSchema);

export const policiesJsonSchema = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "RATE_LIMIT_POLICIES is not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(policyOverridesSchema);

export class PolicyConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid RATE_LIMIT_POLICIES: ${issues.join("; ")}`);
    this.name = "PolicyConfigError";
  }
}

let memo: { raw: string | undefined; policies: Policies } | undefined;

/** Defaults merged with the environment's overrides. Throws `PolicyConfigError` when invalid. */
export function resolvePolicies(json: string | undefined): Policies {
  const raw = json?.trim() ? json : undefined;
  if (memo && memo.raw === raw) return memo.policies;
  let policies = defaultPolicies;
  if (raw !== undefined) {
    const parsed = policiesJsonSchema.safeParse(raw);
    if (!parsed.success) {
      throw new PolicyConfigError(
        parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
      );
    }
    const merged = { ...defaultPolicies };
    for (const name of policyNames) {
      const override = parsed.data[name];
      if (override) merged[name] = { ...defaultPolicies[name], ...override, name };
    }
    policies = merged;
  }
  memo = { raw, policies };
  return policies;
}
