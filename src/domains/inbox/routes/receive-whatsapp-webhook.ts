import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { AppError } from "../../../lib/errors";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { limitRequest, setResponseHeaders } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { parseWhatsAppWebhook, verifyWhatsAppSignature } from "../../../providers/whatsapp";
import { type WebhookAnswer, WebhookAnswer as WebhookAnswerSchema } from "../schemas";
import { applyWebhookItems } from "../service/inbound";
import { whatsappItems } from "../service/provider-events";
import { rejected, secretFor } from "../webhook-auth";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/whatsapp",
  operationId: "receiveWhatsappWebhook",
  tags: ["Inbox"],
  summary: "WhatsApp Cloud API notifications: inbound messages and delivery statuses (Meta only)",
  description:
    "Verified on the raw body: `X-Hub-Signature-256` = `sha256=` hex HMAC-SHA256 under the " +
    "app secret (401 unsigned or wrong; 503 while WHATSAPP_APP_SECRET is not configured). " +
    "Each message and status is recorded once (a retried delivery changes nothing). Inbound " +
    "messages open or update their thread (unknown numbers become new leads); STOP and START " +
    "opt out and back in. Statuses only move a message forward (a late `delivered` never " +
    "overwrites `read`).",
  security: [],
  // The body is read raw (the signature covers its exact bytes), so no schema validates it here.
  responses: {
    ...errorResponses(401),
    200: jsonContent(WebhookAnswerSchema, "Acknowledged, with what it did"),
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { logger } = c.get("services");
    const header = c.req.header("X-Hub-Signature-256");
    const secret = secretFor("whatsapp", header, c.get("config").WHATSAPP_APP_SECRET);
    const raw = await c.req.arrayBuffer();
    if (!(await verifyWhatsAppSignature(raw, header, secret))) {
      logger.info("whatsapp webhook rejected", { reason: "bad_signature" });
      throw rejected();
    }
    const { headers, denial } = await limitRequest(c, "webhook", {
      identity: () => "provider:whatsapp",
    });
    if (denial) return denial as never;

    const text = new TextDecoder().decode(raw);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError({ code: "MALFORMED_REQUEST", detail: "The body is not valid JSON." });
    }
    const parsed = parseWhatsAppWebhook(json);
    let answer: WebhookAnswer;
    if (!parsed.ok) {
      // Acknowledged: a retry would carry the same body. Nothing done, nothing to deduplicate.
      logger.warn("whatsapp webhook unreadable", { error: parsed.error });
      answer = { outcome: "ignored" };
    } else {
      const items = whatsappItems(parsed.value);
      const result = await applyWebhookItems(serviceContext(c), "whatsapp", items);
      answer = {
        outcome: items.length === 0 ? "ignored" : result.applied === 0 ? "duplicate" : "applied",
        received: parsed.value.inbound.length,
        statuses: parsed.value.statuses.length,
        duplicates: result.duplicates,
      };
      if (parsed.value.skipped > 0) {
        logger.warn("whatsapp webhook items skipped", { skipped: parsed.value.skipped });
      }
    }
    const res = c.json(answer, 200);
    setResponseHeaders(c, headers);
    return res;
  });
}
