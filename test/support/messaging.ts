/** What a deployed (staging/production) configuration needs for messaging (src/env.ts). */
export const DEPLOYED_MESSAGING_CONFIG = {
  WHATSAPP_PROVIDER: "cloud",
  WHATSAPP_ACCESS_TOKEN: "EAAG-test-token",
  WHATSAPP_PHONE_NUMBER_ID: "1234567890",
  WHATSAPP_APP_SECRET: "deployed-fixture-whatsapp-app-secret",
  WHATSAPP_VERIFY_TOKEN: "deployed-fixture-verify-token",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
  TWILIO_AUTH_TOKEN: "deployed-fixture-twilio-auth-token",
  TWILIO_FROM: "+15005550006",
  TURNSTILE_PROVIDER: "cloudflare",
  TURNSTILE_SECRET_KEY: "0x4AAAAAAAdeployedfixture",
  RESEND_WEBHOOK_SECRET: "whsec_ZGVwbG95ZWQtZml4dHVyZS1yZXNlbmQ=",
};
