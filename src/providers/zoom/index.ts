/**
 * Zoom for live classes: what other code may use. `createZoomProvider` picks the provider from
 * config (ZOOM_PROVIDER): `zoom` (the real API, adapter.ts) or `dev` (KV-backed stand-in,
 * dev.ts). Webhooks: verify the raw body with `verifyZoomWebhook`, answer
 * `endpoint.url_validation` with `zoomUrlValidationResponse`, then `parseZoomWebhook`.
 *
 * Routes that create a meeting and then write rows must delete the meeting when their own
 * transaction fails (Zoom has no transactions and no idempotency keys): call Zoom outside the
 * database transaction, and compensate with `deleteMeeting`, which treats "already gone" as done.
 */
import type { AppConfig } from "../../env";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { ZoomHttpProvider } from "./adapter";
import { DevZoomProvider } from "./dev";
import type { ZoomProvider } from "./types";

export {
  parseRetryAfter,
  ZOOM_API_DEFAULT_BASE_URL,
  ZOOM_OAUTH_DEFAULT_BASE_URL,
  type ZoomHttpOptions,
  ZoomHttpProvider,
} from "./adapter";
export { type DevMeeting, DevZoomProvider, devJoinPath, devStartPath } from "./dev";
export { registerZoomDevPages } from "./dev-pages";
export * from "./events";
export {
  signZoomWebhook,
  ZOOM_SIGNATURE_HEADER,
  ZOOM_TIMESTAMP_HEADER,
  zoomSignature,
  zoomUrlValidationResponse,
} from "./signature";
export * from "./types";
export {
  verifyZoomWebhook,
  ZOOM_WEBHOOK_TOLERANCE_SECONDS,
  type ZoomWebhookRejection,
  type ZoomWebhookVerification,
} from "./webhook";

export type ZoomConfig = Pick<
  AppConfig,
  | "ZOOM_PROVIDER"
  | "ZOOM_ACCOUNT_ID"
  | "ZOOM_CLIENT_ID"
  | "ZOOM_CLIENT_SECRET"
  | "ZOOM_API_BASE_URL"
  | "ZOOM_OAUTH_BASE_URL"
>;

export interface ZoomProviderOptions {
  config: ZoomConfig;
  /** The dev provider's store (the CACHE binding). */
  kv: KVNamespace;
  /** The dev provider's join URLs point here: this API's origin. */
  devBaseUrl: string;
  logger?: Logger;
  /** The real adapter's per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export function createZoomProvider(opts: ZoomProviderOptions): ZoomProvider {
  const { config } = opts;
  if (config.ZOOM_PROVIDER === "dev") {
    return new DevZoomProvider({ kv: opts.kv, baseUrl: opts.devBaseUrl, logger: opts.logger });
  }
  if (!config.ZOOM_ACCOUNT_ID || !config.ZOOM_CLIENT_ID || !config.ZOOM_CLIENT_SECRET) {
    throw new AppError({
      code: "BAD_ENVIRONMENT",
      detail: "The service is misconfigured. The operators have been notified.",
    });
  }
  return new ZoomHttpProvider({
    accountId: config.ZOOM_ACCOUNT_ID,
    clientId: config.ZOOM_CLIENT_ID,
    clientSecret: config.ZOOM_CLIENT_SECRET,
    apiBaseUrl: config.ZOOM_API_BASE_URL,
    oauthBaseUrl: config.ZOOM_OAUTH_BASE_URL,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
  });
}
