import type { OpenAPIHono } from "@hono/zod-openapi";
import * as Sentry from "@sentry/cloudflare";
import { createApp } from "./app";
import type { AppEnv } from "./lib/context";
import { sentryOptions } from "./lib/sentry";

export { RateLimiter } from "./durable-objects/rate-limiter";

/** Wraps an app as the Worker's handler with Sentry around it (tests reuse this with extra routes). */
export function createWorker(app: OpenAPIHono<AppEnv>): ExportedHandler<Env> {
  return Sentry.withSentry((env: Env) => sentryOptions(env), {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  } satisfies ExportedHandler<Env>);
}

export default createWorker(createApp());
