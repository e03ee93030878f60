import { z } from "@hono/zod-openapi";

export const LivenessSchema = z
  .object({ status: z.literal("ok"), time: z.iso.datetime() })
  .openapi("Liveness");

const CheckSchema = z.object({
  status: z.enum(["ok", "fail"]),
  latencyMs: z.number().int().nonnegative(),
  error: z.string().optional().openapi({ description: "Why the check failed (no internals)" }),
});

export const ReadinessSchema = z
  .object({
    status: z.enum(["ok", "fail"]),
    failed: z.array(z.string()).openapi({ description: "Names of the failing dependencies" }),
    checks: z.object({ postgres: CheckSchema, kv: CheckSchema, durableObject: CheckSchema }),
  })
  .openapi("Readiness");

export type Readiness = z.infer<typeof ReadinessSchema>;
export type DependencyCheck = z.infer<typeof CheckSchema>;
