/** The outbound channels the configuration names (src/providers/messaging). */
import type { AppConfig } from "../../env";
import {
  createEmailChannel,
  createSmsChannel,
  createWhatsAppChannelFor,
} from "../../providers/messaging";
import type { Channels } from "./deliver";

export function channelsFromConfig(config: AppConfig): Channels {
  return {
    email:
      config.EMAIL_PROVIDER === "resend"
        ? createEmailChannel({
            provider: "resend",
            apiKey: config.RESEND_API_KEY ?? "",
            from: config.EMAIL_FROM,
            baseUrl: config.RESEND_BASE_URL,
          })
        : createEmailChannel({ provider: "dev" }),
    whatsapp:
      config.WHATSAPP_PROVIDER === "cloud"
        ? createWhatsAppChannelFor({
            provider: "whatsapp",
            accessToken: config.WHATSAPP_ACCESS_TOKEN ?? "",
            phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID ?? "",
            baseUrl: config.WHATSAPP_BASE_URL,
          })
        : createWhatsAppChannelFor({ provider: "dev" }),
    sms:
      config.SMS_PROVIDER === "twilio"
        ? createSmsChannel({
            provider: "twilio",
            accountSid: config.TWILIO_ACCOUNT_SID ?? "",
            authToken: config.TWILIO_AUTH_TOKEN ?? "",
            from: config.TWILIO_FROM,
            messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
            baseUrl: config.TWILIO_BASE_URL,
          })
        : createSmsChannel({ provider: "dev" }),
  };
}

/** Where Twilio posts delivery statuses: our webhook, when the API's public origin is known. */
export function smsStatusCallbackUrl(config: AppConfig): string | undefined {
  return config.API_PUBLIC_URL
    ? new URL("/v1/webhooks/twilio/sms", config.API_PUBLIC_URL).toString()
    : undefined;
}
