import type { OpenAPIHono } from "@hono/zod-openapi";
import * as Sentry from "@sentry/cloudflare";
import { createApp } from "./app";
import { MaintenanceError, runMaintenance } from "./jobs/maintenance";
import { MINUTELY_CRON, runMinutely } from "./jobs/minutely";
import { handleNotificationBatch } from "./jobs/notifications";
import type { AppEnv } from "./lib/context";
import { sentryOptions } from "./lib/sentry";

export { CertificateStatus } from "./durable-objects/certificate-status";
export { RateLimiter } from "./durable-objects/rate-limiter";

/** Wraps an app as the Worker's handler with Sentry around it (tests reuse this with extra routes). */
export function createWorker(app: OpenAPIHono<AppEnv>): ExportedHandler<Env> {
  return Sentry.withSentry((env: Env) => sentryOptions(env), {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
    // Awaited, so a failure reaches Sentry (withSentry captures what the handler throws) and
    // the invocation is marked failed; waitUntil keeps the isolate alive for it either way.
    scheduled: async (controller, env, ctx) => {
      if (controller.cron === MINUTELY_CRON) {
        const report = await runMinutely(env);
        if (report.remindersQueued + report.notificationsSwept + report.failures.length > 0) {
          console.info(JSON.stringify({ level: "info", msg: "minutely", ...report }));
        }
        if (report.failures.length > 0) throw new MaintenanceError(report.failures);
        return;
      }
      const work = runMaintenance(env);
      ctx.waitUntil(work.catch(() => undefined));
      const report = await work;
      console.info(JSON.stringify({ level: "info", msg: "maintenance", ...report }));
      if (report.failures.length > 0) throw new MaintenanceError(report.failures);
    },
    // The notifications Queue and its dead-letter queue (wrangler.toml).
    queue: (batch, env) => handleNotificationBatch(batch, env),
  } satisfies ExportedHandler<Env>);
}

export default createWorker(createApp());
