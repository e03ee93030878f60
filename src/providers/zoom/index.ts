/**
 * Zoom for live classes: what other code may use. Meetings: `ZoomHttpProvider` (the real API).
 * Webhooks: verify the raw body with `verifyZoomWebhook`, answer `endpoint.url_validation`
 * with `zoomUrlValidationResponse`, then `parseZoomWebhook`.
 *
 * Routes that create a meeting and then write rows must delete the meeting when their own
 * transaction fails (Zoom has no transactions and no idempotency keys): call Zoom outside the
 * database transaction, and compensate with `deleteMeeting`, which treats "already gone" as done.
 */
export {
  clearZoomTokenCache,
  parseRetryAfter,
  ZOOM_API_DEFAULT_BASE_URL,
  ZOOM_OAUTH_DEFAULT_BASE_URL,
  type ZoomHttpOptions,
  ZoomHttpProvider,
} from "./adapter";
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
