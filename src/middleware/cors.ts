import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { loadConfig } from "../env";
import type { AppEnv } from "../lib/context";

/** CORS for browser clients on the configured origins only; other origins get no CORS headers. */
export function corsFromConfig(): MiddlewareHandler<AppEnv> {
  const handler = cors({
    // Read straight from the (cached) config so CORS also covers routes that run before init.
    origin: (origin, c) => {
      const loaded = loadConfig(c.env);
      return loaded.ok && loaded.config.CORS_ORIGINS.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization", "X-Request-Id", "Idempotency-Key"],
    exposeHeaders: [
      "X-Request-Id",
      "Link",
      "Location",
      "Idempotent-Replayed",
      "Retry-After",
      "RateLimit",
      "RateLimit-Policy",
      "X-RateLimit-Limit",
      "X-RateLimit-Remaining",
      "X-RateLimit-Reset",
    ],
    maxAge: 600,
  });
  return handler as MiddlewareHandler<AppEnv>;
}
