import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { AppError, unauthenticated } from "../../../lib/errors";
import { errorResponses, jsonContent } from "../../../lib/openapi";
import { limitRequest, setResponseHeaders } from "../../../lib/rate-limit/middleware";
import { serviceContext } from "../../../lib/service-context";
import { verifyInstamojoMac } from "../../../providers/instamojo";
import { InstamojoWebhookAnswer } from "../schemas";
import { confirmFromProvider } from "../service/confirm";

export const route = createRoute({
  method: "post",
  path: "/v1/webhooks/instamojo",
  operationId: "receiveInstamojoWebhook",
  tags: ["Payments"],
  summary: "Instamojo's payment notifications (form-encoded, MAC-signed; Instamojo only)",
  description:
    "Verified first: `mac` = hex HMAC-SHA1 of every other field's value, keys sorted " +
    "case-insensitively, joined with `|`, under the account's private salt; compared in " +
    "constant time. A bad or missing MAC is 401 and changes nothing. The payment is then READ " +
    "FROM INSTAMOJO'S API and settled exactly once (a replay or concurrent copies change it " +
    "once); an amount or currency that does not match is flagged for review and activates " +
    "nothing. 502 when Instamojo's API cannot be reached (Instamojo retries; the scheduled " +
    "reconciliation settles it otherwise).",
  security: [],
  // The form is read raw: the MAC covers every field received, known or not.
  responses: {
    ...errorResponses(400, 401, 502),
    200: jsonContent(InstamojoWebhookAnswer, "Acknowledged, with what it did"),
  },
});

const PAYMENT_REF = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { logger } = c.get("services");
    const salt = c.get("config").INSTAMOJO_PRIVATE_SALT ?? "";
    // Decoded from the bytes (UTF-8), as Instamojo percent-encodes them.
    const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
    // Before anything that costs: unsigned deliveries reach neither limiter nor database.
    if (!salt || !(await verifyInstamojoMac(form, salt))) {
      logger.info("instamojo webhook rejected", { reason: "bad_mac" });
      throw unauthenticated("The webhook's MAC is missing or invalid.");
    }
    // Instamojo's deliveries come from a few addresses: counted per provider (`webhook`).
    const { headers, denial } = await limitRequest(c, "webhook", {
      identity: () => "provider:instamojo",
    });
    if (denial) return denial as never;

    const paymentId = form.get("payment_id") ?? "";
    const requestId = form.get("payment_request_id") ?? "";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(paymentId) || !/^[A-Za-z0-9_-]{1,64}$/.test(requestId)) {
      throw new AppError({
        code: "VALIDATION_FAILED",
        detail: "payment_id and payment_request_id are required.",
      });
    }
    const ref = c.req.query("payment");
    const fields = Object.fromEntries([...form].filter(([k]) => k.toLowerCase() !== "mac"));
    const { outcome } = await confirmFromProvider(serviceContext(c), {
      paymentId,
      requestId,
      paymentRowId: ref && PAYMENT_REF.test(ref) ? ref : undefined,
      cause: "webhook",
      fields,
    });
    const res = c.json({ outcome }, 200);
    setResponseHeaders(c, headers);
    return res;
  });
}
