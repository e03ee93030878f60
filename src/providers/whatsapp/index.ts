/** WhatsApp Cloud API: sending (adapter.ts), webhook authenticity (signature.ts), payloads. */
export {
  createWhatsAppChannel,
  WHATSAPP_API_VERSION,
  WHATSAPP_GRAPH_BASE_URL,
  WHATSAPP_WINDOW_CLOSED,
  type WhatsAppChannelOptions,
  WhatsAppCloudChannel,
} from "./adapter";
export { signWhatsApp, verifyWhatsAppChallenge, verifyWhatsAppSignature } from "./signature";
export * from "./webhook";
