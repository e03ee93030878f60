/**
 * The development checkout behind the dev provider's `checkoutUrl`: a page with Pay and Fail
 * buttons that does what Instamojo does after a buyer pays or fails: records the payment,
 * posts the signed webhook form to the request's webhook path ON THIS APP, and sends the
 * browser (303) to the request's redirect_url with Instamojo's query. Plain HTML forms, no
 * script, under a page-specific CSP. Answers only while PAYMENTS_PROVIDER=dev in development
 * or tests (404 like an unknown path anywhere else); not in the OpenAPI document.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../lib/context";
import { AppError } from "../../lib/errors";
import { escapeHtml } from "../../lib/notifications/templates/email";
import { paiseToRupees } from "./amount";
import { DevInstamojoProvider, type DevPaymentRequest, devCheckoutPath } from "./dev";
import { signInstamojoWebhook } from "./mac";
import type { Payment } from "./types";

export const DEV_INSTAMOJO_ROUTES = [
  "/dev/instamojo/checkout/:requestId",
  "/dev/instamojo/checkout/:requestId/pay",
  "/dev/instamojo/checkout/:requestId/fail",
] as const;

function devProvider(c: AppContext): DevInstamojoProvider {
  const config = c.get("config");
  const enabled =
    config.PAYMENTS_PROVIDER === "dev" &&
    (config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test");
  if (!enabled) {
    throw new AppError({
      code: "NOT_FOUND",
      detail: `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`,
    });
  }
  return new DevInstamojoProvider({
    kv: c.env.CACHE,
    baseUrl: new URL(c.req.url).origin,
    logger: c.get("services").logger,
  });
}

async function requestOr404(c: AppContext, provider: DevInstamojoProvider) {
  const request = await provider.getStored(c.req.param("requestId") ?? "");
  if (!request) {
    throw new AppError({
      code: "NOT_FOUND",
      detail: "No development payment request has this id.",
    });
  }
  return request;
}

/**
 * The webhook form Instamojo posts for a payment (PROVIDERS.md §1), before `mac` is added.
 * Exported so tests can check what the page delivers.
 */
export function devWebhookFields(
  request: DevPaymentRequest,
  payment: Payment,
  checkoutUrl: string,
): [string, string][] {
  const paid = payment.status === true;
  // Instamojo's fee is about 2%; the exact figure does not matter to the app.
  const fees = paid ? Math.round((request.amountPaise * 2) / 100) : 0;
  return [
    ["amount", paiseToRupees(request.amountPaise)],
    ["buyer", request.email],
    ["buyer_name", request.buyerName],
    ["buyer_phone", request.phone ?? ""],
    ["currency", "INR"],
    ["fees", paiseToRupees(fees)],
    ["longurl", checkoutUrl],
    ["payment_id", payment.id],
    ["payment_request_id", request.id],
    ["purpose", request.purpose],
    ["shorturl", ""],
    ["status", paid ? "Credit" : "Failed"],
  ];
}

/** Where Instamojo sends the buyer afterwards: redirect_url plus its three query parameters. */
export function devRedirectUrl(request: DevPaymentRequest, payment: Payment): string {
  const url = new URL(request.redirectUrl);
  url.searchParams.set("payment_id", payment.id);
  url.searchParams.set("payment_status", payment.status === true ? "Credit" : "Failed");
  url.searchParams.set("payment_request_id", request.id);
  return url.toString();
}

function pageCsp(request: DevPaymentRequest): string {
  // form-action also governs where the POST's redirect may lead: allow redirect_url's origin.
  let redirectOrigin = "";
  try {
    redirectOrigin = ` ${new URL(request.redirectUrl).origin}`;
  } catch {
    /* stored from a validated URL; nothing to add */
  }
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `form-action 'self'${redirectOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

function page(request: DevPaymentRequest): string {
  const e = escapeHtml;
  const path = devCheckoutPath(request.id);
  const open = request.status === "Pending" && Date.parse(request.expiresAt) > Date.now();
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Pay ₹${e(paiseToRupees(request.amountPaise))} (development Instamojo)</title>`,
    "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}",
    "form{display:inline-block;margin-right:1rem}button{font-size:1.1rem;padding:.5rem 1.5rem}</style>",
    "</head><body>",
    `<h1>₹${e(paiseToRupees(request.amountPaise))}</h1>`,
    "<p>Development stand-in for Instamojo's checkout: no money moves.</p>",
    "<dl>",
    `<dt>Purpose</dt><dd>${e(request.purpose)}</dd>`,
    `<dt>Buyer</dt><dd>${e(request.buyerName)} &lt;${e(request.email)}&gt;${
      request.phone ? `, ${e(request.phone)}` : ""
    }</dd>`,
    `<dt>Payment request</dt><dd>${e(request.id)} (${e(request.status)})</dd>`,
    `<dt>Expires</dt><dd>${e(request.expiresAt)}</dd>`,
    "</dl>",
    open
      ? [
          `<form method="post" action="${e(path)}/pay"><button type="submit">Pay</button></form>`,
          `<form method="post" action="${e(path)}/fail"><button type="submit">Fail</button></form>`,
        ].join("\n")
      : "<p>This request takes no more payments.</p>",
    "</body></html>",
  ].join("\n");
}

export function registerInstamojoDevPages(app: OpenAPIHono<AppEnv>) {
  app.get("/dev/instamojo/checkout/:requestId", async (c) => {
    const request = await requestOr404(c, devProvider(c));
    c.header("Content-Security-Policy", pageCsp(request));
    c.header("Cache-Control", "no-store");
    return c.html(page(request));
  });

  for (const outcome of ["pay", "fail"] as const) {
    app.post(`/dev/instamojo/checkout/:requestId/${outcome}`, async (c) => {
      const provider = devProvider(c);
      const request = await requestOr404(c, provider);
      const payment = await provider.recordPayment(
        request.id,
        outcome === "pay" ? "paid" : "failed",
      );
      const logger = c.get("services").logger;
      const salt = c.get("config").INSTAMOJO_PRIVATE_SALT;
      const checkoutUrl = new URL(devCheckoutPath(request.id), c.req.url).toString();
      if (salt) {
        const body = await signInstamojoWebhook(
          devWebhookFields(request, payment, checkoutUrl),
          salt,
        );
        // Delivered to this app at the webhook URL's path (its origin may be a public tunnel).
        const webhook = new URL(request.webhookUrl);
        const target = new URL(`${webhook.pathname}${webhook.search}`, c.req.url);
        let status: number | undefined;
        let ctx: Parameters<typeof app.request>[3];
        try {
          ctx = c.executionCtx;
        } catch {
          /* no execution context (plain app.request in a test): deliver without one */
        }
        try {
          const res = await app.request(
            target.toString(),
            {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body,
            },
            c.env,
            ctx,
          );
          status = res.status;
          await res.body?.cancel();
        } catch (err) {
          logger.warn("dev instamojo webhook delivery failed", {
            error: err instanceof Error ? err.name : "unknown",
          });
        }
        if (status !== undefined && (status < 200 || status > 299)) {
          logger.warn("dev instamojo webhook not accepted", { status, path: webhook.pathname });
        }
      } else {
        // Config validation requires the salt with the dev provider; never send unsigned.
        logger.warn("dev instamojo webhook not sent: INSTAMOJO_PRIVATE_SALT is empty");
      }
      return c.redirect(devRedirectUrl(request, payment), 303);
    });
  }
}
