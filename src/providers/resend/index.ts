/** Resend: email sending (adapter.ts), webhook signatures (svix.ts) and events (events.ts). */
export {
  createResendChannel,
  RESEND_API_BASE_URL,
  ResendChannel,
  type ResendChannelOptions,
} from "./adapter";
export * from "./events";
export { SVIX_DEFAULT_TOLERANCE_SECONDS, signSvix, type VerifySvixInput, verifySvix } from "./svix";
