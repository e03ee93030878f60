import type { MiddlewareHandler } from "hono";
import {
  type Database,
  type DbHandle,
  dbFromConfig,
  type HttpDatabase,
  httpFromConfig,
} from "../db/client";
import type { CertificateStatus } from "../durable-objects/certificate-status";
import type { RateLimiter } from "../durable-objects/rate-limiter";
import { loadConfig } from "../env";
import type { AppEnv } from "../lib/context";
import { AppError } from "../lib/errors";
import { createLogger, type Logger } from "../lib/logger";
import { type NotificationJob, Outbox } from "../lib/notifications/outbox";
import { createPaymentsProvider, type PaymentsProvider } from "../providers/instamojo";
import { createZoomProvider, type ZoomProvider } from "../providers/zoom";

/** Per-request services. Built once per request; the database connects only when first used. */
export interface Services {
  /** The interactive path: a Pool opened on first use, closed after the response. */
  readonly db: Database;
  /** The HTTP path: nothing to open or close. */
  readonly http: HttpDatabase;
  readonly logger: Logger;
  readonly cache: KVNamespace;
  readonly rateLimiter: DurableObjectNamespace<RateLimiter>;
  /** The revocation authority of certificates (src/durable-objects/certificate-status.ts). */
  readonly certificateStatus: DurableObjectNamespace<CertificateStatus>;
  /** Live-class meetings: Zoom, or the development stand-in (ZOOM_PROVIDER). Built on first use. */
  readonly zoom: ZoomProvider;
  /** Payments: Instamojo, or the development stand-in (PAYMENTS_PROVIDER). Built on first use. */
  readonly payments: PaymentsProvider;
  /** Notifications written in this request's transactions; handed to the Queue after it. */
  readonly outbox: Outbox;
  /** Uploaded files (R2): private, served only through the API. */
  readonly files: R2Bucket;
}

export function init(): MiddlewareHandler<AppEnv> {
  return async function initMiddleware(c, next) {
    const loaded = loadConfig(c.env);
    if (!loaded.ok) {
      throw new AppError({
        code: "BAD_ENVIRONMENT",
        detail: "The service is misconfigured. The operators have been notified.",
      });
    }
    const config = loaded.config;
    c.set("config", config);
    const logger = createLogger(config.LOG_LEVEL, { requestId: c.get("requestId") });
    let handle: DbHandle | undefined;
    let http: HttpDatabase | undefined;
    let zoom: ZoomProvider | undefined;
    let payments: PaymentsProvider | undefined;
    const outbox = new Outbox({
      secret: config.JWT_SECRET,
      queue: c.env.NOTIFICATIONS as Queue<NotificationJob>,
      warn: (msg, fields) => logger.warn(msg, fields),
      unsubscribeBaseUrl: config.API_PUBLIC_URL ?? new URL(c.req.url).origin,
    });
    c.set("services", {
      get http() {
        http ??= httpFromConfig(config);
        return http;
      },
      get db() {
        handle ??= dbFromConfig(config, {
          onError: (err) =>
            logger.warn("database client error", {
              error: err instanceof Error ? err.name : "unknown",
            }),
        });
        return handle.db;
      },
      logger,
      cache: c.env.CACHE,
      rateLimiter: c.env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>,
      certificateStatus: c.env.CERTIFICATE_STATUS as DurableObjectNamespace<CertificateStatus>,
      get zoom() {
        zoom ??= createZoomProvider({
          config,
          kv: c.env.CACHE,
          devBaseUrl: new URL(c.req.url).origin,
          logger,
        });
        return zoom;
      },
      get payments() {
        payments ??= createPaymentsProvider({
          config,
          kv: c.env.CACHE,
          devBaseUrl: new URL(c.req.url).origin,
          logger,
        });
        return payments;
      },
      outbox,
      files: c.env.FILES,
    });
    try {
      await next();
    } finally {
      // After the response: the transactions that added notifications have committed (or
      // rolled back, and the consumer will not find their rows).
      if (outbox.size > 0) {
        const handOver = outbox.flush(http ?? httpFromConfig(config));
        try {
          c.executionCtx.waitUntil(handOver);
        } catch {
          await handOver;
        }
      }
      if (handle) {
        const close = handle.close();
        try {
          c.executionCtx.waitUntil(close);
        } catch {
          await close;
        }
      }
    }
  };
}
