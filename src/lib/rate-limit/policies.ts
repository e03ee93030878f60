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

export const policyNames = ["api", "auth", "upload", "payment", "strict"] as const;
export type PolicyName = (typeof policyNames)[number];
export type Policies = Readonly<Record<PolicyName, Policy>>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The seed's five limit types. Only `api` fails open: it guards general authenticated traffic,
 * where an outage of the limiter should not become an outage of the API. The others guard
 * credentials, money and unauthenticated writes, where an unthrottled pass is the bigger risk.
 */
export const defaultPolicies: Policies = {
  // Token bucket: API clients burst (page loads fan out), then settle at 5 req/s.
  api: {
    name: "api",
    limit: 300,
    windowMs: MINUTE,
    algorithm: "gcra",
    key: "user-or-ip",
    failureMode: "open",
    mode: "fast",
  },
  // Sliding window: no refill to exploit at a window edge; per IP, plus per account on login.
  auth: {
    name: "auth",
    limit: 10,
    windowMs: 15 * MINUTE,
    algorithm: "sliding-window",
    key: "ip",
    failureMode: "closed",
    mode: "exact",
  },
  // Uploads cost storage and processing and clients can retry a 503, so fail closed. Callers
  // may charge by size class through the middleware's `cost`.
  upload: {
    name: "upload",
    limit: 50,
    windowMs: HOUR,
    algorithm: "gcra",
    key: "user-or-ip",
    failureMode: "closed",
    mode: "exact",
  },
  payment: {
    name: "payment",
    limit: 10,
    windowMs: HOUR,
    algorithm: "sliding-window",
    key: "user-or-ip",
    failureMode: "closed",
    mode: "exact",
  },
  // Public (unauthenticated) writes such as contact or sign-up forms.
  strict: {
    name: "strict",
    limit: 5,
    windowMs: MINUTE,
    algorithm: "sliding-window",
    key: "ip",
    failureMode: "closed",
    mode: "exact",
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
