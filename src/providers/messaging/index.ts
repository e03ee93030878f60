/**
 * Outbound messaging: the channel contract (types.ts), the development stand-ins (dev.ts) and
 * one factory per channel that picks the provider from config. Webhook verification and
 * parsing live with each provider (../resend, ../whatsapp, ../twilio).
 */
import { createResendChannel, type ResendChannelOptions } from "../resend/adapter";
import { createTwilioChannel, type TwilioChannelOptions } from "../twilio/adapter";
import { createWhatsAppChannel, type WhatsAppChannelOptions } from "../whatsapp/adapter";
import { DevEmailChannel, DevSmsChannel, DevWhatsAppChannel } from "./dev";
import type { EmailChannel, SmsChannel, WhatsAppChannel } from "./types";

export * from "./dev";
export { MAX_RETRY_AFTER_SECONDS, parseRetryAfterSeconds } from "./http";
export * from "./types";

export type EmailChannelConfig =
  | { provider: "dev" }
  | ({ provider: "resend" } & ResendChannelOptions);
export type WhatsAppChannelConfig =
  | { provider: "dev" }
  | ({ provider: "whatsapp" } & WhatsAppChannelOptions);
export type SmsChannelConfig =
  | { provider: "dev" }
  | ({ provider: "twilio" } & TwilioChannelOptions);

export function createEmailChannel(config: EmailChannelConfig): EmailChannel {
  return config.provider === "dev" ? new DevEmailChannel() : createResendChannel(config);
}

export function createWhatsAppChannelFor(config: WhatsAppChannelConfig): WhatsAppChannel {
  return config.provider === "dev" ? new DevWhatsAppChannel() : createWhatsAppChannel(config);
}

export function createSmsChannel(config: SmsChannelConfig): SmsChannel {
  return config.provider === "dev" ? new DevSmsChannel() : createTwilioChannel(config);
}
