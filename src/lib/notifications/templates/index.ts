/**
 * The notification templates: one typed registry, per channel (email, WhatsApp, SMS), pure
 * code. A sender looks a template up by name, validates the variables with its zod schema and
 * renders the channel it delivers on; the outbox keeps the variables (secret ones encrypted).
 */
export { escapeHtml } from "./email";
export {
  BRAND,
  formatRupees,
  formatRupeesSms,
  formatTime,
  IST,
  oneLine,
  stripUnsafe,
  truncate,
} from "./format";
export { type TemplateName, templateNames } from "./names";
export { earliestSendAt, isQuietHours, QUIET_HOURS } from "./quiet-hours";
export {
  type AnyTemplate,
  channelsOf,
  getTemplate,
  isTemplateName,
  type Preview,
  previewTemplate,
  type RenderResult,
  renderTemplate,
  type TemplateInput,
  type TemplateIssue,
  type Templates,
  type TemplateVariables,
} from "./registry";
export {
  DLT_VAR_MAX,
  dltText,
  SMS_TEMPLATES,
  type SmsEncoding,
  type SmsTemplateName,
  smsEncoding,
  toGsmFriendly,
} from "./sms";
export type {
  Channel,
  RenderedByChannel,
  RenderedEmail,
  RenderedSms,
  RenderedWhatsAppTemplate,
  TemplateDefinition,
} from "./types";
export {
  placeholderCount,
  WHATSAPP_BODY_MAX,
  WHATSAPP_LANGUAGE,
  WHATSAPP_TEMPLATES,
  type WhatsAppTemplateName,
  whatsappParam,
} from "./whatsapp";
