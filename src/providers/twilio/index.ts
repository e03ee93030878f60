/** Twilio SMS: sending (adapter.ts), webhook authenticity (signature.ts) and payloads. */
export {
  createTwilioChannel,
  SMS_BODY_LIMIT,
  TWILIO_API_BASE_URL,
  type TwilioChannelOptions,
  TwilioSmsChannel,
} from "./adapter";
export {
  signTwilio,
  type TwilioParams,
  type VerifyTwilioInput,
  verifyTwilioSignature,
} from "./signature";
export * from "./webhook";
