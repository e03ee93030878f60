import { z } from "@hono/zod-openapi";
import { policyNames } from "../../lib/rate-limit/policies";
import { instant } from "../../lib/validation";

export const KeyParams = z.object({
  policy: z.enum(policyNames).openapi({ param: { name: "policy", in: "path" } }),
  // Every identity the limiter builds: a user, an IPv4 address, an IPv6 /64 (percent-encode the
  // "/" in a URL: ip:2001:db8:1:2::%2F64), or a hashed extra counter (32 hex digits).
  identity: z
    .string()
    .max(80)
    .regex(
      /^(user:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ip:(unknown|\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]{2,39}\/64)|(account|account-address|recipient|session):[0-9a-f]{32})$/,
      "Use user:<id>, ip:<IPv4>, ip:<IPv6 prefix>/64, or account|account-address|recipient|session:<32 hex>",
    )
    .openapi({
      param: { name: "identity", in: "path" },
      example: "ip:203.0.113.7",
      description:
        "A limiter identity: `user:<id>`, `ip:<IPv4>`, `ip:<IPv6>/64` (e.g. `ip:2001:db8:1:2::/64`, with the slash percent-encoded), or a hashed extra counter `account:`, `account-address:`, `recipient:` or `session:` followed by 32 hex digits.",
    }),
});

export const KeyStateSchema = z
  .object({
    policy: z.string(),
    identity: z.string(),
    limits: z.array(z.record(z.string(), z.unknown())),
    override: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("RateLimitKeyState");

export const OverrideBody = z
  .discriminatedUnion("action", [
    z.strictObject({
      action: z.enum(["raise", "lower"]),
      limit: z.number().int().min(0).max(1_000_000),
      expiresAt: z.iso.datetime({ offset: true }).optional(),
    }),
    z.strictObject({ action: z.literal("block"), until: z.iso.datetime({ offset: true }) }),
    z.strictObject({ action: z.literal("clear") }),
  ])
  .openapi("RateLimitOverride");

export const OverrideResultSchema = z
  .object({
    policy: z.string(),
    identity: z.string(),
    override: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("RateLimitOverrideResult");

export const TopQuery = z.object({
  since: instant().optional().openapi({ description: "Default: 24 h ago" }),
  policy: z.enum(policyNames).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const TopSchema = z
  .object({
    since: z.string(),
    data: z.array(
      z.object({
        policy: z.string(),
        key: z.string(),
        denied: z.number().int(),
        allowed: z.number().int(),
        lastSeen: z.string(),
      }),
    ),
  })
  .openapi("RateLimitTop");
