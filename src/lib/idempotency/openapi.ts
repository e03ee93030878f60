import { z } from "@hono/zod-openapi";
import { IDEMPOTENCY_KEY_HEADER } from "./errors";
import { MAX_KEY_LENGTH, parseIdempotencyKey } from "./key";

/**
 * `request.headers` of a route that mounts `idempotency()`: documents the header in OpenAPI.
 * The middleware has checked it by the time the route's validator sees it.
 */
export function idempotencyKeyHeaders(opts: { required?: boolean } = {}) {
  const key = z
    .string()
    .min(1)
    .max(MAX_KEY_LENGTH + 2)
    .refine((v) => parseIdempotencyKey(v).ok, "Invalid Idempotency-Key")
    .openapi({
      description:
        `1–${MAX_KEY_LENGTH} visible ASCII characters (a UUID v4 is a good choice), bare or as a ` +
        "quoted Structured Field String, scoped to the caller. Retrying with the same key and " +
        "the same request replays the first response (with `Idempotent-Replayed: true`) for " +
        "24 hours; the same key for a different request is 422 IDEMPOTENCY_KEY_REUSED; while " +
        "the first request runs, 409 IDEMPOTENCY_KEY_IN_USE with Retry-After. Errors are not " +
        "stored: after a 4xx or 5xx the key may be used again." +
        (opts.required ? " Required: 400 IDEMPOTENCY_KEY_MISSING without it." : ""),
      example: "8e03978e-40d5-43e8-bc93-6894a57f9324",
    });
  // The validator matches header names without regard to case.
  return z.object({ [IDEMPOTENCY_KEY_HEADER]: opts.required ? key : key.optional() });
}
