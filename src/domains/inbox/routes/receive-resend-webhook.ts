import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { limitRequest, setResponseHeaders } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { parseResendEvent, verifySvix } from "../../../providers/resend";
import { type WebhookAnswer, WebhookAnswer as WebhookAnswerSchema } from "../schemas";
import { applyWebhookItems } from "../service/inbound";
import { resendItem } from "../service/provider-events";
import { rejected, secretFor } from "../webhook-auth";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/resend",
  operationId: "receiveResendWebhook",
  tags: ["Inbox"],
  summary: "Resend's email events: delivered, bounced, complained (Svix-signed; Resend only)",
  description:
    "Verified on the raw body (Svix): `svix-signature` holds `v1,` base64 HMAC-SHA256 of " +
    "`{svix-id}.{svix-timestamp}.{body}` under the base64 secret after `whsec_`; the timestamp " +
    "within 5 minutes. 401 unsigned, wrong or stale; 503 while RESEND_WEBHOOK_SECRET is not " +
    "configured. Each event (svix-id) is recorded once. `email.delivered` moves the message " +
    "forward; a hard bounce fails it and suppresses the address (all mail), as does a " +
    "complaint.",
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
    const id = c.req.header("svix-id") ?? null;
    const timestamp = c.req.header("svix-timestamp") ?? null;
    const signatureHeader = c.req.header("svix-signature") ?? null;
    const secret = secretFor(
      "resend",
      id && timestamp && signatureHeader,
      c.get("config").RESEND_WEBHOOK_SECRET,
    );
    const rawBody = await c.req.arrayBuffer();
    if (!id || !(await verifySvix({ id, timestamp, signatureHeader, rawBody, secret }))) {
      logger.info("resend webhook rejected", { reason: "bad_signature" });
      throw rejected();
    }
    const { headers, denial } = await limitRequest(c, "webhook", {
      identity: () => "provider:resend",
    });
    if (denial) return denial as never;

    const parsed = parseResendEvent(new TextDecoder().decode(rawBody));
    let answer: WebhookAnswer;
    if (!parsed.ok) {
      logger.info("resend webhook ignored", { reason: parsed.reason, error: parsed.error });
      answer = { outcome: "ignored" };
    } else {
      const result = await applyWebhookItems(serviceContext(c), "resend", [
        resendItem(id.slice(0, 200), parsed.event),
      ]);
      answer = { outcome: result.applied > 0 ? "applied" : "duplicate" };
    }
    const res = c.json(answer, 200);
    setResponseHeaders(c, headers);
    return res;
  });
}
