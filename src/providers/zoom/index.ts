/**
 * Zoom for live classes: what other code may use. Webhooks: verify the raw body with
 * `verifyZoomWebhook`, answer `endpoint.url_validation` with `zoomUrlValidationResponse`, then
 * `parseZoomWebhook`.
 */
export * from "./events";
export {
  signZoomWebhook,
  ZOOM_SIGNATURE_HEADER,
  ZOOM_TIMESTAMP_HEADER,
  zoomSignature,
  zoomUrlValidationResponse,
} from "./signature";
export {
  verifyZoomWebhook,
  ZOOM_WEBHOOK_TOLERANCE_SECONDS,
  type ZoomWebhookRejection,
  type ZoomWebhookVerification,
} from "./webhook";
