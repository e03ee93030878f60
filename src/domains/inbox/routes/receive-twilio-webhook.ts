import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { errorResponses } from "../../../lib/openapi";
import { limitRequest, setResponseHeaders } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { parseTwilioWebhook, verifyTwilioSignature } from "../../../providers/twilio";
import { applyWebhookItems } from "../service/inbound";
import { twilioItem } from "../service/provider-events";
import { EMPTY_TWIML, publicUrl, rejected, secretFor } from "../webhook-auth";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/twilio/sms",
  operationId: "receiveTwilioWebhook",
  tags: ["Inbox"],
  summary: "Twilio SMS: inbound messages and status callbacks (form-encoded; Twilio only)",
  description:
    "Verified first: `X-Twilio-Signature` = base64 HMAC-SHA1 under the auth token of the URL " +
    "Twilio called (API_PUBLIC_URL + path + query when configured, else the request URL) " +
    "followed by every form parameter sorted by name as name + value. 401 unsigned or wrong; " +
    "503 while TWILIO_AUTH_TOKEN is not configured. Each event is recorded once; inbound " +
    "STOP/START opt out and back in. Answers an empty TwiML document.",
  security: [],
  // The form is read raw: the signature covers every parameter received, known or not.
  responses: {
    ...errorResponses(401),
    200: {
      description: "Acknowledged (empty TwiML: no reply is sent)",
      content: { "text/xml": { schema: z.string() } },
    },
  },
});

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { logger } = c.get("services");
    const config = c.get("config");
    const header = c.req.header("X-Twilio-Signature");
    const authToken = secretFor("twilio", header, config.TWILIO_AUTH_TOKEN);
    const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
    const url = publicUrl(c.req.url, config.API_PUBLIC_URL);
    if (!(await verifyTwilioSignature({ url, params: form, header, authToken }))) {
      logger.info("twilio webhook rejected", { reason: "bad_signature" });
      throw rejected();
    }
    const { headers, denial } = await limitRequest(c, "webhook", {
      identity: () => "provider:twilio",
    });
    if (denial) return denial as never;

    const parsed = parseTwilioWebhook(form);
    const item = parsed.ok ? twilioItem(parsed.value) : null;
    if (item) {
      await applyWebhookItems(serviceContext(c), "twilio", [item]);
    } else {
      logger.warn("twilio webhook ignored", {
        error: parsed.ok ? "unusable sender" : parsed.error,
      });
    }
    const res = c.body(EMPTY_TWIML, 200, { "Content-Type": "text/xml; charset=utf-8" });
    setResponseHeaders(c, headers);
    return res;
  });
}
