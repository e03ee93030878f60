import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { AppError, unauthenticated } from "../../../lib/errors";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { limitRequest, setResponseHeaders } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import {
  parseZoomWebhook,
  verifyZoomWebhook,
  zoomUrlValidationResponse,
} from "../../../providers/zoom";
import { ZoomWebhookAnswer } from "../schemas";
import { applyZoomEvent } from "../service/zoom-events";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/zoom",
  operationId: "receiveZoomWebhook",
  tags: ["Live classes"],
  summary: "Zoom's event notifications (signed with the app's secret token; Zoom only)",
  description:
    "Verified on the raw body: `x-zm-signature` = `v0=` HMAC-SHA256 of " +
    "`v0:{x-zm-request-timestamp}:{body}`, timestamp within 5 minutes. Answers " +
    "`endpoint.url_validation`; records each event once (a retried delivery changes nothing); " +
    "acts on meeting.started/ended, participant_joined/left and recording.completed; anything " +
    "else, or a meeting no session has, is acknowledged and ignored.",
  security: [],
  // The body is read raw (the signature covers its exact bytes), so no schema validates it here.
  responses: {
    ...errorResponses(401),
    200: jsonContent(ZoomWebhookAnswer, "Acknowledged (or the URL validation answer)"),
  },
});

const rejected = () =>
  unauthenticated("The webhook signature is missing or invalid, or its timestamp is too old.");

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { logger } = c.get("services");
    const secret = c.get("config").ZOOM_WEBHOOK_SECRET_TOKEN;
    const raw = new Uint8Array(await c.req.arrayBuffer());
    // Before anything that costs: unsigned or stale deliveries reach neither limiter nor database.
    const verified = await verifyZoomWebhook(raw, c.req.raw.headers, secret);
    if (!verified.ok) {
      logger.info("zoom webhook rejected", { reason: verified.reason });
      throw rejected();
    }
    // Zoom's deliveries come from a few addresses, a class's worth at once: counted per
    // provider with a high ceiling, never per address (see the `webhook` policy).
    const { headers, denial } = await limitRequest(c, "webhook", {
      identity: () => "provider:zoom",
    });
    if (denial) return denial as never;

    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new AppError({ code: "MALFORMED_REQUEST", detail: "The body is not valid JSON." });
    }
    const parsed = parseZoomWebhook(body);
    let answer: typeof ZoomWebhookAnswer._output;
    if (!parsed.ok) {
      // Unsupported events, and payloads we cannot read, are acknowledged: a retry would carry
      // the same body. Not recorded: nothing was done, so there is nothing to deduplicate.
      const fields = { event: parsed.event, reason: parsed.reason };
      if (parsed.reason === "invalid_payload") {
        logger.warn("zoom webhook unreadable", { ...fields, issues: parsed.issues.slice(0, 10) });
      } else logger.info("zoom webhook ignored", fields);
      answer = { outcome: "ignored" };
    } else if (parsed.webhook.event === "endpoint.url_validation") {
      answer = await zoomUrlValidationResponse(parsed.webhook.payload.plainToken, secret ?? "");
    } else {
      answer = { outcome: await applyZoomEvent(serviceContext(c), parsed.webhook, logger) };
    }
    const res = c.json(answer, 200);
    setResponseHeaders(c, headers);
    return res;
  });
}
