import { z } from "@hono/zod-openapi";
import { policyNames } from "../../lib/rate-limit/policies";

export const KeyParams = z.object({
  policy: z.enum(policyNames).openapi({ param: { name: "policy", in: "path" } }),
  identity: z
    .string()
    .regex(/^(user|ip|account):[\w.:-]{1,128}$/, "Use user:<id>, ip:<address> or account:<hash>")
    .openapi({ param: { name: "identity", in: "path" }, example: "ip:203.0.113.7" }),
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
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: 24 h ago" }),
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
