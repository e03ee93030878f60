import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../lib/context";

/** CORS for browser clients on the configured origins only; other origins get no CORS headers. */
export function corsFromConfig(): MiddlewareHandler<AppEnv> {
  const handler = cors({
    origin: (origin, c) => (c.get("config")?.CORS_ORIGINS.includes(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization", "X-Request-Id", "Idempotency-Key"],
    exposeHeaders: [
      "X-Request-Id",
      "Link",
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
