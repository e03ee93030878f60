/**
 * The development payments provider (KV), its checkout pages through createApp() (the signed
 * webhook they deliver, the redirect), the provider as the app wires it (services.payments),
 * and the configuration rules around both.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { errorLogs } from "../../src/db/schema";
import { loadConfig } from "../../src/env";
import type { ProblemBody } from "../../src/lib/problem";
import { serviceContext } from "../../src/lib/service-context";
import {
  createPaymentsProvider,
  DevInstamojoProvider,
  devWebhookFields,
  instamojoFailureOf,
  type PaymentRequest,
  verifyInstamojoMac,
} from "../../src/providers/instamojo";
import { DEPLOYED_CERT_CONFIG } from "../support/certificates";
import { testEnv } from "../support/env";
import { waitForEnvelope } from "../support/fake-sentry";
import { Harness } from "../support/harness";
import { aPaymentRequest, FakeInstamojoClient, TEST_INSTAMOJO_SALT } from "../support/instamojo";
import { DEPLOYED_MESSAGING_CONFIG } from "../support/messaging";

const ORIGIN = "http://api.test";
const dev = () => new DevInstamojoProvider({ kv: testEnv.CACHE, baseUrl: ORIGIN });
const path = (url: string) => new URL(url).pathname;
const DEV_ENV = { PAYMENTS_PROVIDER: "dev" } as const;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (e: unknown) => e,
  );
}

describe("development provider", () => {
  it("keeps requests in KV with Instamojo-shaped ids: another instance finds them", async () => {
    const request = await dev().createPaymentRequest(
      aPaymentRequest({ purpose: "A purpose much longer than thirty characters" }),
    );
    expect(request).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      amountPaise: 49_900,
      status: "Pending",
      checkoutUrl: `${ORIGIN}/dev/instamojo/checkout/${request.id}`,
      paymentIds: [],
    });
    expect(await dev().getPaymentRequest(request.id)).toEqual(request);
    expect((await dev().getStored(request.id))?.purpose).toBe("A purpose much longer than thi");
    expect(await dev().getPaymentRequest("0".repeat(32))).toBeNull();
    expect(await dev().getPaymentRequest("not-an-id")).toBeNull();
  });

  it("a payment completes the request; a failed one leaves it open; no second payment", async () => {
    const request = await dev().createPaymentRequest(aPaymentRequest());
    const failed = await dev().recordPayment(request.id, "failed");
    expect(failed).toMatchObject({
      id: expect.stringMatching(/^MOJO[0-9A-Z]{16}$/),
      status: false,
      paymentRequestId: request.id,
      failureReason: expect.any(String),
    });
    expect((await dev().getPaymentRequest(request.id))?.status).toBe("Pending");

    const paid = await dev().recordPayment(request.id, "paid");
    expect(paid).toMatchObject({ status: true, amountPaise: 49_900, currency: "INR" });
    expect(await dev().getPayment(paid.id)).toEqual(paid);
    expect(await dev().getPaymentRequest(request.id)).toMatchObject({
      status: "Completed",
      paymentIds: [failed.id, paid.id],
    });
    await expect(dev().recordPayment(request.id, "paid")).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(dev().recordPayment("0".repeat(32), "paid")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("an expired request takes no payment", async () => {
    const request = await dev().createPaymentRequest(
      aPaymentRequest({ expiresAt: new Date(Date.now() - 1000) }),
    );
    await expect(dev().recordPayment(request.id, "paid")).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("refunds settle at once, dedupe on transaction id, and stop at the amount paid", async () => {
    const request = await dev().createPaymentRequest(aPaymentRequest());
    const paid = await dev().recordPayment(request.id, "paid");
    const input = {
      paymentId: paid.id,
      transactionId: "rfd_dev_1",
      type: "QFL" as const,
      reason: "Batch cancelled",
      amountPaise: 40_000,
    };
    const refund = await dev().createRefund(input);
    expect(refund).toMatchObject({
      paymentId: paid.id,
      amountPaise: 40_000,
      state: "refunded",
      providerStatus: "Refunded",
    });
    expect((await dev().createRefund(input)).id).toBe(refund.id);
    expect(await dev().getRefund(refund.id)).toEqual(refund);

    const over = await rejection(
      dev().createRefund({ ...input, transactionId: "rfd_dev_2", amountPaise: 9_901 }),
    );
    expect(over).toMatchObject({ status: 502, code: "EXTERNAL_SERVICE_ERROR" });
    expect(instamojoFailureOf(over)?.kind).toBe("rejected");
    await dev().createRefund({ ...input, transactionId: "rfd_dev_3", amountPaise: 9_900 });
  });

  it("fails like Instamojo where the app must cope", async () => {
    const request = await dev().createPaymentRequest(aPaymentRequest());
    const failed = await dev().recordPayment(request.id, "failed");
    const refund = {
      transactionId: "rfd_x",
      type: "RFD" as const,
      reason: "x",
      amountPaise: 100,
    };
    expect(
      instamojoFailureOf(await rejection(dev().createRefund({ ...refund, paymentId: failed.id })))
        ?.kind,
    ).toBe("rejected");
    expect(
      instamojoFailureOf(
        await rejection(dev().createRefund({ ...refund, paymentId: "MOJO0000X0000000001" })),
      )?.kind,
    ).toBe("not_found");
    expect(
      instamojoFailureOf(
        await rejection(dev().createPaymentRequest(aPaymentRequest({ amountPaise: 800 }))),
      )?.kind,
    ).toBe("rejected");
    await expect(dev().createPaymentRequest(aPaymentRequest({ amountPaise: 0 }))).rejects.toThrow(
      TypeError,
    );
    await expect(dev().createRefund({ ...refund, paymentId: "nope" })).rejects.toThrow(TypeError);
  });
});

/** Bodies posted to the test webhook route, by the tag in its query. */
const delivered = new Map<string, { body: string; contentType: string | undefined }>();

/** createApp() plus a webhook receiver under the dev prefix (which takes form bodies). */
function appWithWebhookReceiver() {
  const app = createApp();
  app.post("/dev/instamojo/test-webhook", async (c) => {
    delivered.set(c.req.query("tag") ?? "", {
      body: new TextDecoder().decode(await c.req.arrayBuffer()),
      contentType: c.req.header("content-type"),
    });
    return c.body(null, 200);
  });
  return app;
}

async function devRequest(tag: string, overrides: Record<string, unknown> = {}) {
  return dev().createPaymentRequest(
    aPaymentRequest({
      webhookUrl: `https://tunnel.example/dev/instamojo/test-webhook?tag=${tag}`,
      redirectUrl: `${ORIGIN}/v1/payments/return?enrolment=enr_1`,
      ...overrides,
    }),
  );
}

describe("development checkout pages", () => {
  it("the checkout page shows amount, purpose and buyer (escaped) with two plain forms", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV });
    const request = await dev().createPaymentRequest(
      aPaymentRequest({ buyerName: 'Asha <b>"V"</b>', purpose: "Maths & <Physics>" }),
    );
    const res = await h.get<string>(path(request.checkoutUrl));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.text).toContain("₹499.00");
    expect(res.text).toContain("Maths &amp; &lt;Physics&gt;");
    expect(res.text).toContain("Asha &lt;b&gt;&quot;V&quot;&lt;/b&gt;");
    expect(res.text).toContain(
      `<form method="post" action="/dev/instamojo/checkout/${request.id}/pay">`,
    );
    expect(res.text).toContain(
      `<form method="post" action="/dev/instamojo/checkout/${request.id}/fail">`,
    );
    expect(res.text).not.toContain("<script");
    // Its own policy: forms to itself (and the redirect's origin), inline style, nothing else.
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' http://api.test");
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("script-src");
    // Everything else keeps the API's policy.
    const other = await h.get("/health");
    expect(other.headers.get("Content-Security-Policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it("Pay records the payment, delivers a signed webhook to this app, and 303s like Instamojo", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV, app: appWithWebhookReceiver() });
    const tag = crypto.randomUUID();
    const request = await devRequest(tag);
    const res = await h.fetch(`${path(request.checkoutUrl)}/pay`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
      redirect: "manual",
    });
    expect(res.status).toBe(303);

    const stored = await dev().getPaymentRequest(request.id);
    expect(stored?.status).toBe("Completed");
    const paymentId = stored?.paymentIds[0] ?? expect.fail("no payment");
    const payment = await dev().getPayment(paymentId);
    expect(payment).toMatchObject({ status: true, paymentRequestId: request.id });

    const location = new URL(res.headers.get("Location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(`${ORIGIN}/v1/payments/return`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      enrolment: "enr_1",
      payment_id: paymentId,
      payment_status: "Credit",
      payment_request_id: request.id,
    });

    const webhook = delivered.get(tag) ?? expect.fail("no webhook delivered");
    expect(webhook.contentType).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(webhook.body);
    expect(await verifyInstamojoMac(form, TEST_INSTAMOJO_SALT)).toBe(true);
    expect(await verifyInstamojoMac(form, "another-salt")).toBe(false);
    const stored2 = (await dev().getStored(request.id)) ?? expect.fail("gone");
    const fields = devWebhookFields(
      stored2,
      payment ?? expect.fail("no payment"),
      `${ORIGIN}${path(request.checkoutUrl)}`,
    );
    expect([...form].filter(([k]) => k !== "mac")).toEqual(fields);
    expect(Object.fromEntries(form)).toMatchObject({
      amount: "499.00",
      buyer: "asha@example.com",
      buyer_name: "Asha Verma",
      buyer_phone: "+919812345678",
      currency: "INR",
      payment_id: paymentId,
      payment_request_id: request.id,
      purpose: "JEE Physics Batch A",
      status: "Credit",
    });
    expect(Object.keys(Object.fromEntries(form)).sort()).toEqual(
      [
        "amount",
        "buyer",
        "buyer_name",
        "buyer_phone",
        "currency",
        "fees",
        "longurl",
        "mac",
        "payment_id",
        "payment_request_id",
        "purpose",
        "shorturl",
        "status",
      ].sort(),
    );

    // Paid: the page offers no buttons, and paying again is a conflict.
    expect((await h.get<string>(path(request.checkoutUrl))).text).not.toContain("<form");
    const again = await h.fetch(`${path(request.checkoutUrl)}/pay`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      redirect: "manual",
    });
    expect(again.status).toBe(409);
  });

  it("Fail posts status=Failed, redirects with payment_status=Failed, and leaves it open", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV, app: appWithWebhookReceiver() });
    const tag = crypto.randomUUID();
    const request = await devRequest(tag, { phone: null });
    const res = await h.fetch(`${path(request.checkoutUrl)}/fail`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(location.searchParams.get("payment_status")).toBe("Failed");
    const form = new URLSearchParams(delivered.get(tag)?.body ?? "");
    expect(await verifyInstamojoMac(form, TEST_INSTAMOJO_SALT)).toBe(true);
    expect(form.get("status")).toBe("Failed");
    expect(form.get("buyer_phone")).toBe("");
    expect(form.get("fees")).toBe("0.00");
    expect((await dev().getPaymentRequest(request.id))?.status).toBe("Pending");
  });

  it("a webhook the app does not accept still redirects, with a warning logged", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV });
    const request = await dev().createPaymentRequest(
      aPaymentRequest({ webhookUrl: `${ORIGIN}/no/such/webhook` }),
    );
    const warn = vi.spyOn(console, "warn");
    try {
      const res = await h.fetch(`${path(request.checkoutUrl)}/pay`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        redirect: "manual",
      });
      expect(res.status).toBe(303);
      const lines = warn.mock.calls.map((args) => String(args[0]));
      expect(lines.some((l) => l.includes("dev instamojo webhook not accepted"))).toBe(true);
      expect(lines.join("\n")).not.toContain(TEST_INSTAMOJO_SALT);
    } finally {
      warn.mockRestore();
    }
  });

  it("unknown or malformed ids → 404", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV });
    expect((await h.get(`/dev/instamojo/checkout/${"0".repeat(32)}`)).status).toBe(404);
    expect((await h.get("/dev/instamojo/checkout/nope")).status).toBe(404);
    const res = await h.fetch(`/dev/instamojo/checkout/${"0".repeat(32)}/pay`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(404);
  });

  it("404 like an unknown path when the provider is instamojo", async (t) => {
    const h = await Harness.init(t);
    const request = await dev().createPaymentRequest(aPaymentRequest());
    const res = await h.get<ProblemBody>(path(request.checkoutUrl));
    expect(res.status, res.text).toBe(404);
    expect(res.body.detail).toBe(`No route matches GET ${path(request.checkoutUrl)}.`);
    const pay = await h.fetch(`${path(request.checkoutUrl)}/pay`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(pay.status).toBe(404);
    expect((await dev().getPaymentRequest(request.id))?.status).toBe("Pending");
  });

  it("form bodies pass requireJson only on the Instamojo webhook and the dev pages", async (t) => {
    const h = await Harness.init(t, { env: DEV_ENV });
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const webhook = await h.fetch("/v1/webhooks/instamojo", {
      method: "POST",
      headers: form,
      body: "a=1",
    });
    expect(webhook.status).not.toBe(415);
    const login = await h.request<ProblemBody>("POST", "/v1/auth/login", undefined, {
      headers: form,
      raw: "email=a&password=b",
    });
    expect(login.status, login.text).toBe(415);
    // Other form-like types stay refused even on the exempt paths.
    const multipart = await h.fetch("/v1/webhooks/instamojo", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "a=1",
    });
    expect(multipart.status).toBe(415);
  });
});

describe("services.payments, as the routes will use it", () => {
  const appWithPaymentsRoute = () => {
    const app = createApp();
    app.post("/__test/payment-requests", async (c) => {
      const request = await serviceContext(c).payments.createPaymentRequest(aPaymentRequest());
      return c.json(request, 201);
    });
    return app;
  };

  it("test bindings: the real adapter against the fake", async (t) => {
    const h = await Harness.init(t, { app: appWithPaymentsRoute() });
    const res = await h.post<unknown, PaymentRequest>("/__test/payment-requests", {});
    expect(res.status, res.text).toBe(201);
    expect(res.body.checkoutUrl).toBe(`${testEnv.TEST_FAKE_INSTAMOJO_URL}/@fake/${res.body.id}`);
    const fake = new FakeInstamojoClient(testEnv.INSTAMOJO_CLIENT_ID);
    expect((await fake.state()).requests.map((r) => r.id)).toContain(res.body.id);
  });

  it("dev: the checkout URL points at this API's own origin and opens", async (t) => {
    const h = await Harness.init(t, { app: appWithPaymentsRoute(), env: DEV_ENV });
    const res = await h.post<unknown, PaymentRequest>("/__test/payment-requests", {});
    expect(res.status, res.text).toBe(201);
    expect(res.body.checkoutUrl).toBe(`${ORIGIN}/dev/instamojo/checkout/${res.body.id}`);
    expect((await h.get(path(res.body.checkoutUrl))).status).toBe(200);
  });

  it("instamojo failing → 502 problem; the error log and Sentry get no secret", async (t) => {
    const secret = "wrong-instamojo-SECRET-for-the-log-test";
    const h = await Harness.init(t, {
      app: appWithPaymentsRoute(),
      env: { INSTAMOJO_CLIENT_ID: `bad-${crypto.randomUUID()}`, INSTAMOJO_CLIENT_SECRET: secret },
    });
    const res = await h.post<unknown, ProblemBody>("/__test/payment-requests", {});
    expect(res.status, res.text).toBe(502);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ code: "EXTERNAL_SERVICE_ERROR", service: "instamojo" });
    expect(res.text).not.toMatch(/invalid_client|SECRET/);
    const rows = await h.db
      .select()
      .from(errorLogs)
      .where(eq(errorLogs.requestId, res.body.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.message).toMatch(/instamojo token request refused \(401 invalid_client\)/);
    expect(JSON.stringify(rows)).not.toContain(secret);
    const envelopes = await waitForEnvelope(res.body.requestId);
    expect(JSON.stringify(envelopes)).not.toContain(secret);
  });
});

describe("createPaymentsProvider", () => {
  const base = {
    INSTAMOJO_CLIENT_ID: undefined,
    INSTAMOJO_CLIENT_SECRET: undefined,
    INSTAMOJO_BASE_URL: "https://api.instamojo.com/",
  };
  const opts = { kv: testEnv.CACHE, devBaseUrl: "http://127.0.0.1:8787" };

  it("instamojo without credentials is a configuration error", () => {
    expect(() =>
      createPaymentsProvider({
        ...opts,
        config: { ...base, PAYMENTS_PROVIDER: "instamojo", INSTAMOJO_CLIENT_ID: "id" },
      }),
    ).toThrowError(expect.objectContaining({ code: "BAD_ENVIRONMENT" }));
  });

  it("picks the adapter for instamojo and the stand-in for dev", () => {
    const real = createPaymentsProvider({
      ...opts,
      config: {
        ...base,
        PAYMENTS_PROVIDER: "instamojo",
        INSTAMOJO_CLIENT_ID: "id",
        INSTAMOJO_CLIENT_SECRET: "secret",
      },
    });
    expect(real.kind).toBe("instamojo");
    expect(
      createPaymentsProvider({ ...opts, config: { ...base, PAYMENTS_PROVIDER: "dev" } }).kind,
    ).toBe("dev");
  });
});

describe("configuration", () => {
  const issues = (env: Record<string, unknown>) => {
    const loaded = loadConfig({ ...testEnv, ...env });
    return loaded.ok ? [] : loaded.issues;
  };

  it("the test bindings are valid and use the real adapter", () => {
    const loaded = loadConfig({ ...testEnv });
    expect(loaded.ok && loaded.config.PAYMENTS_PROVIDER).toBe("instamojo");
    expect(loaded.ok && loaded.config.INSTAMOJO_BASE_URL).toBe(
      `${testEnv.TEST_FAKE_INSTAMOJO_URL}/`,
    );
  });

  it("instamojo needs every credential, and says which are missing (never a value)", () => {
    expect(
      issues({
        INSTAMOJO_CLIENT_ID: "id",
        INSTAMOJO_CLIENT_SECRET: "",
        INSTAMOJO_PRIVATE_SALT: "",
      }),
    ).toEqual([
      "INSTAMOJO_CLIENT_SECRET: required when PAYMENTS_PROVIDER is instamojo",
      "INSTAMOJO_PRIVATE_SALT: required when PAYMENTS_PROVIDER is instamojo",
    ]);
  });

  it("dev needs the salt its checkout page signs with", () => {
    expect(issues({ PAYMENTS_PROVIDER: "dev", INSTAMOJO_PRIVATE_SALT: "" })).toEqual([
      "INSTAMOJO_PRIVATE_SALT: required (the dev checkout page signs with it)",
    ]);
  });

  it.for(["staging", "production"])("%s requires instamojo over https", (environment) => {
    const base = {
      ENVIRONMENT: environment,
      ...DEPLOYED_CERT_CONFIG,
      ...DEPLOYED_MESSAGING_CONFIG,
      NEON_WS_PROXY: "",
      NEON_HTTP_ENDPOINT: "",
      EMAIL_PROVIDER: "resend",
      RESEND_API_KEY: "re_x",
      ZOOM_PROVIDER: "zoom",
      ZOOM_ACCOUNT_ID: "acc",
      ZOOM_CLIENT_ID: "id",
      ZOOM_CLIENT_SECRET: "zoom-secret",
      ZOOM_WEBHOOK_SECRET_TOKEN: "whsec",
      API_PUBLIC_URL: "https://api.example.in",
      INSTAMOJO_CLIENT_SECRET: "very-secret-instamojo-value",
    };
    expect(issues({ ...base, PAYMENTS_PROVIDER: "dev" })).toContain(
      "PAYMENTS_PROVIDER: must be instamojo outside development and tests",
    );
    const https = issues({ ...base, INSTAMOJO_BASE_URL: "https://test.instamojo.com/" });
    expect(https).toEqual([]);
    const plain = issues(base);
    expect(plain).toEqual(["INSTAMOJO_BASE_URL: must be https"]);
    expect(JSON.stringify(plain)).not.toContain("very-secret-instamojo-value");
  });
});
