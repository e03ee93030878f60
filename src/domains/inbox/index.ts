import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/context";
import { requireAuth, requireRole } from "../../middleware/auth";
import * as listConversationMessages from "./routes/list-conversation-messages";
import * as listConversations from "./routes/list-conversations";
import * as openConversation from "./routes/open-conversation";
import * as receiveResendWebhook from "./routes/receive-resend-webhook";
import * as receiveTwilioWebhook from "./routes/receive-twilio-webhook";
import * as receiveWhatsappWebhook from "./routes/receive-whatsapp-webhook";
import * as searchMessages from "./routes/search-messages";
import * as sendConversationMessage from "./routes/send-conversation-message";
import * as updateConversation from "./routes/update-conversation";
import * as verifyWhatsappWebhook from "./routes/verify-whatsapp-webhook";

/**
 * The CRM inbox: the admins' threads and replies (admins and super admins only), and the
 * messaging providers' webhooks (no login: each checks its provider's signature on the raw
 * body, then records each event once).
 */
export function registerInboxRoutes(app: OpenAPIHono<AppEnv>) {
  for (const path of [
    "/v1/admin/conversations",
    "/v1/admin/conversations/*",
    "/v1/admin/messages/*",
  ]) {
    app.use(path, requireAuth(), requireRole("admin", "super_admin"));
  }
  for (const r of [
    listConversations,
    openConversation,
    updateConversation,
    listConversationMessages,
    sendConversationMessage,
    searchMessages,
    verifyWhatsappWebhook,
    receiveWhatsappWebhook,
    receiveTwilioWebhook,
    receiveResendWebhook,
  ]) {
    r.register(app);
  }
}
