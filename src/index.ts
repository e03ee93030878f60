import type { OpenAPIHono } from "@hono/zod-openapi";
import * as Sentry from "@sentry/cloudflare";
import { createApp } from "./app";
import { runMaintenance } from "./jobs/maintenance";
import type { AppEnv } from "./lib/context";
import { sentryOptions } from "./lib/sentry";

export { RateLimiter } from "./durable-objects/rate-limiter";

/** Wraps an app as the Worker's handler with Sentry around it (tests reuse this with extra routes). */
export function createWorker(app: OpenAPIHono<AppEnv>): ExportedHandler<Env> {
  return Sentry.withSentry((env: Env) => sentryOptions(env), {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
    scheduled: async (_controller, env, ctx) => {
      ctx.waitUntil(
        runMaintenance(env).then((report) =>
          console.info(JSON.stringify({ level: "info", msg: "maintenance", ...report })),
        ),
      );
    },
  } satisfies ExportedHandler<Env>);
}

export default createWorker(createApp());
