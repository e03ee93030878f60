/**
 * The real Instamojo adapter against the local fake (test/support/node/fake-instamojo.ts):
 * what it sends, how it reads answers, tokens, retries, timeouts and the errors the app sees.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import type { Logger } from "../../src/lib/logger";
import {
  certainlyNotApplied,
  type InstamojoFailureKind,
  InstamojoHttpProvider,
  instamojoFailureOf,
  instamojoPhone,
  paymentRequestIdOf,
  refundState,
  truncatePurpose,
} from "../../src/providers/instamojo";
import { testEnv } from "../support/env";
import {
  aPaymentRequest,
  FAKE_INSTAMOJO_SECRET,
  FakeInstamojoClient,
  type FakeInstamojoFaultMode,
  type FakeInstamojoOp,
} from "../support/instamojo";

async function failed(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

function expectInstamojo502(err: AppError, kind: InstamojoFailureKind) {
  expect(err.status).toBe(502);
  expect(err.code).toBe("EXTERNAL_SERVICE_ERROR");
  expect(err.extensions).toEqual({ service: "instamojo" });
  expect(instamojoFailureOf(err)?.kind, instamojoFailureOf(err)?.message).toBe(kind);
}

/** Everything an error could carry into logs or Sentry: names, messages, stacks, causes. */
function everythingIn(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) {
      parts.push(e.name, e.message, e.stack ?? "", JSON.stringify(e));
      if (e instanceof AppError) parts.push(JSON.stringify(e.extensions ?? {}), e.detail);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join("\n");
}

/** A Logger that keeps its lines, to check what would reach Workers Logs. */
function recordingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push(JSON.stringify({ level, msg, ...fields }));
  const logger: Logger = {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
  };
  return { lines, logger };
}

/** A request the fake knows, and a payment against it. */
async function paidPayment(fake: FakeInstamojoClient, adapter = fake.adapter()) {
  const request = await adapter.createPaymentRequest(aPaymentRequest());
  const { payment } = await fake.pay(request.id, "paid");
  return { request, paymentId: payment.id };
}

describe("payment requests", () => {
  it("creates a request as Instamojo expects it (form body) and maps the answer", async () => {
    const fake = new FakeInstamojoClient();
    const expiresAt = new Date("2026-12-31T18:30:00.000Z");
    const request = await fake.adapter().createPaymentRequest(
      aPaymentRequest({
        amountPaise: 49_950,
        purpose: "JEE Physics Crash Course 2027 (Batch A, weekends)",
        expiresAt,
      }),
    );

    const state = await fake.state();
    expect(state.forms).toHaveLength(1);
    expect(state.forms[0]?.fields).toEqual({
      amount: "499.50",
      purpose: "JEE Physics Crash Course 2027 ",
      buyer_name: "Asha Verma",
      email: "asha@example.com",
      phone: "9812345678",
      redirect_url: "http://api.test/v1/payments/return",
      webhook: "http://api.test/v1/webhooks/instamojo",
      allow_repeated_payments: "false",
      send_email: "false",
      send_sms: "false",
      expires_at: "2026-12-31T18:30:00.000Z",
    });
    expect(request).toEqual({
      id: state.requests[0]?.id,
      amountPaise: 49_950,
      status: "Pending",
      checkoutUrl: `${fake.url}/@fake/${request.id}`,
      paymentIds: [],
    });
    expect(request.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("sends no phone when there is none, and foreign numbers unchanged", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    await adapter.createPaymentRequest(aPaymentRequest({ phone: null }));
    await adapter.createPaymentRequest(aPaymentRequest({ phone: "+14155550123" }));
    const [none, foreign] = (await fake.state()).forms;
    expect(none?.fields).not.toHaveProperty("phone");
    expect(foreign?.fields.phone).toBe("+14155550123");
  });

  it("reads a request back with its payments; unknown and malformed ids are null", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { request, paymentId } = await paidPayment(fake, adapter);
    expect(await adapter.getPaymentRequest(request.id)).toEqual({
      ...request,
      status: "Completed",
      paymentIds: [paymentId],
    });
    expect(await adapter.getPaymentRequest("0".repeat(32))).toBeNull();
    // Never sent: path characters or the wrong shape cannot name a request.
    const before = (await fake.state()).calls.get_request;
    expect(await adapter.getPaymentRequest("../payments/x")).toBeNull();
    expect(await adapter.getPaymentRequest("abc")).toBeNull();
    expect((await fake.state()).calls.get_request).toBe(before);
  });

  it("an amount Instamojo refuses (below INR 9) → 502 rejected, not retried", async () => {
    const fake = new FakeInstamojoClient();
    const err = await failed(
      fake.adapter().createPaymentRequest(aPaymentRequest({ amountPaise: 500 })),
    );
    expectInstamojo502(err, "rejected");
    expect(instamojoFailureOf(err)?.status).toBe(400);
    // Instamojo's own message stays out of ours.
    expect(everythingIn(err)).not.toMatch(/less than/);
    expect((await fake.state()).calls.create_request).toBe(1);
  });

  it("refuses nonsense before any call", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    await expect(
      adapter.createPaymentRequest(aPaymentRequest({ amountPaise: 499.5 })),
    ).rejects.toThrow(TypeError);
    await expect(
      adapter.createPaymentRequest(aPaymentRequest({ expiresAt: new Date("nope") })),
    ).rejects.toThrow(TypeError);
    expect((await fake.state()).calls.token).toBe(0);
  });
});

describe("payments", () => {
  it.each([
    ["paid", true, null],
    ["failed", false, "BANK_DECLINED"],
    ["initiated", null, null],
  ] as const)("a %s payment reads as status %s", async (outcome, status, failureReason) => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const request = await adapter.createPaymentRequest(aPaymentRequest());
    const { payment } = await fake.pay(request.id, outcome);
    const read = await adapter.getPayment(payment.id);
    expect(read).toMatchObject({
      id: payment.id,
      status,
      amountPaise: 49_900,
      currency: "INR",
      paymentRequestId: request.id,
      instrumentType: outcome === "initiated" ? null : "UPI",
      failureReason,
    });
    expect(read?.raw).toMatchObject({ id: payment.id, amount: "499.00" });
  });

  it("an unknown payment is null; a malformed id is null without a call", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    expect(await adapter.getPayment("MOJO0000X00000000000")).toBeNull();
    expect(await adapter.getPayment("MOJO/../x")).toBeNull();
    expect(await adapter.getPayment("")).toBeNull();
    expect((await fake.state()).calls.get_payment).toBe(1);
  });
});

describe("refunds", () => {
  const refundOf = (paymentId: string, overrides: Record<string, unknown> = {}) => ({
    paymentId,
    transactionId: `rfd_${crypto.randomUUID()}`,
    type: "QFL" as const,
    reason: "Batch cancelled",
    amountPaise: 10_000,
    ...overrides,
  });

  it("creates a refund, reads it back, and follows Instamojo's status", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    const input = refundOf(paymentId);
    const refund = await adapter.createRefund(input);
    expect(refund).toMatchObject({
      paymentId,
      amountPaise: 10_000,
      state: "pending",
      providerStatus: "Refund Initiated",
    });
    expect((await fake.state()).forms.at(-1)?.fields).toEqual({
      transaction_id: input.transactionId,
      type: "QFL",
      body: "Batch cancelled",
      refund_amount: "100.00",
    });
    expect(await adapter.getRefund(refund.id)).toEqual(refund);

    await fake.setRefundStatus(refund.id, "Refunded");
    expect(await adapter.getRefund(refund.id)).toMatchObject({
      state: "refunded",
      providerStatus: "Refunded",
    });
    await fake.setRefundStatus(refund.id, "Refund Failed");
    expect((await adapter.getRefund(refund.id))?.state).toBe("failed");
    expect(await adapter.getRefund("CNOSUCH0000")).toBeNull();
    expect(await adapter.getRefund("../x")).toBeNull();
  });

  it("the same transaction_id refunds once, however often it is sent", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    const input = refundOf(paymentId);
    const first = await adapter.createRefund(input);
    const again = await Promise.all([adapter.createRefund(input), adapter.createRefund(input)]);
    expect(again.map((r) => r.id)).toEqual([first.id, first.id]);
    expect((await fake.state()).refunds).toHaveLength(1);
  });

  it("partial refunds up to the amount paid; one paisa more → 502 rejected", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    await adapter.createRefund(refundOf(paymentId, { amountPaise: 40_000 }));
    const over = await failed(adapter.createRefund(refundOf(paymentId, { amountPaise: 9_901 })));
    expectInstamojo502(over, "rejected");
    expect(certainlyNotApplied(instamojoFailureOf(over) ?? expect.fail("no cause"))).toBe(true);
    await adapter.createRefund(refundOf(paymentId, { amountPaise: 9_900 }));
    expect((await fake.state()).refunds).toHaveLength(2);
  });

  it("a refund of an unpaid payment is rejected; of an unknown one, not_found", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const request = await adapter.createPaymentRequest(aPaymentRequest());
    const { payment } = await fake.pay(request.id, "failed");
    expectInstamojo502(await failed(adapter.createRefund(refundOf(payment.id))), "rejected");
    expectInstamojo502(
      await failed(adapter.createRefund(refundOf("MOJO0000X00000000000"))),
      "not_found",
    );
  });

  it("refuses nonsense before any call", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    const calls = (await fake.state()).calls.create_refund;
    for (const bad of [
      { paymentId: "x" },
      { amountPaise: 0 },
      { amountPaise: 1.5 },
      { type: "XYZ" },
      { transactionId: "" },
      { transactionId: "a b" },
    ]) {
      await expect(adapter.createRefund(refundOf(paymentId, bad))).rejects.toThrow(TypeError);
    }
    expect((await fake.state()).calls.create_refund).toBe(calls);
  });

  it.each(["server_error", "hang"] as const)(
    "a %s after Instamojo refunded is retried once and deduplicated",
    async (mode) => {
      const fake = new FakeInstamojoClient();
      const adapter = fake.adapter({ timeoutMs: 300 });
      const { paymentId } = await paidPayment(fake, adapter);
      await fake.fault({ op: "create_refund", mode, applyFirst: true, hangMs: 2_000 });
      const refund = await adapter.createRefund(refundOf(paymentId));
      const state = await fake.state();
      expect(state.calls.create_refund).toBe(2);
      expect(state.refunds.map((r) => r.id)).toEqual([refund.id]);
    },
  );

  it("a refund that keeps failing with 5xx is tried twice, then 502 server", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    await fake.fault({ op: "create_refund", mode: "server_error", times: -1 });
    expectInstamojo502(await failed(adapter.createRefund(refundOf(paymentId))), "server");
    expect((await fake.state()).calls.create_refund).toBe(2);
  });

  it("a retry refused after a 5xx still reports the 5xx: the refund may exist", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const { paymentId } = await paidPayment(fake, adapter);
    await fake.fault({ op: "create_refund", mode: "server_error", applyFirst: true });
    await fake.fault({ op: "create_refund", mode: "success_false" });
    const err = await failed(adapter.createRefund(refundOf(paymentId)));
    expectInstamojo502(err, "server");
    expect(instamojoFailureOf(err)?.message).toContain("the retry failed too (rejected)");
    expect(certainlyNotApplied(instamojoFailureOf(err) ?? expect.fail("no cause"))).toBe(false);
    expect((await fake.state()).refunds).toHaveLength(1);
  });

  it("reads Instamojo's refund status words tolerantly (UNCONFIRMED values)", () => {
    const cases: [string, string][] = [
      ["Refunded", "refunded"],
      ["Refund Completed", "refunded"],
      ["Closed", "refunded"],
      ["SUCCESS", "refunded"],
      ["Processed", "refunded"],
      ["Refund Failed", "failed"],
      ["Rejected", "failed"],
      ["Cancelled", "failed"],
      ["Refund Initiated", "pending"],
      ["Pending", "pending"],
      ["Processing", "pending"],
      ["Open", "pending"],
      ["Refund requested", "pending"],
      ["", "pending"],
      ["Something new", "pending"],
    ];
    for (const [status, state] of cases) expect(refundState(status), status).toBe(state);
  });
});

describe("tokens", () => {
  it("one token serves many calls, other adapter instances, and a concurrent burst", async () => {
    const fake = new FakeInstamojoClient();
    const request = await fake.adapter().createPaymentRequest(aPaymentRequest());
    await Promise.all(
      Array.from({ length: 8 }, () => fake.adapter().getPaymentRequest(request.id)),
    );
    const state = await fake.state();
    expect(state.calls.token).toBe(1);
    expect(state.calls.get_request).toBe(8);
  });

  it("a burst with no token yet shares one token request", async () => {
    const fake = new FakeInstamojoClient();
    await Promise.all(
      Array.from({ length: 6 }, () => fake.adapter().getPayment("MOJO0000X00000000000")),
    );
    expect((await fake.state()).calls.token).toBe(1);
  });

  it("a 401 (token expired) renews the token once and the call succeeds", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter();
    const request = await adapter.createPaymentRequest(aPaymentRequest());
    await fake.expireTokens();
    expect((await adapter.getPaymentRequest(request.id))?.id).toBe(request.id);
    await fake.fault({ op: "get_request", mode: "token_expired" });
    expect((await adapter.getPaymentRequest(request.id))?.id).toBe(request.id);
    const state = await fake.state();
    expect(state.calls.token).toBe(3);
    expect(state.calls.get_request).toBe(4);
  });

  it("a 401 that persists with a fresh token → 502 auth after exactly one renewal", async () => {
    const fake = new FakeInstamojoClient();
    await fake.fault({ op: "create_request", mode: "token_expired", times: -1 });
    const err = await failed(fake.adapter().createPaymentRequest(aPaymentRequest()));
    expectInstamojo502(err, "auth");
    const state = await fake.state();
    expect(state.calls.token).toBe(2);
    expect(state.calls.create_request).toBe(2);
  });

  it("credentials Instamojo refuses → 502 auth, with neither secret nor token in sight", async () => {
    const { lines, logger } = recordingLogger();
    const adapter = new InstamojoHttpProvider({
      clientId: `bad-${crypto.randomUUID()}`,
      clientSecret: FAKE_INSTAMOJO_SECRET,
      baseUrl: testEnv.TEST_FAKE_INSTAMOJO_URL,
      logger,
    });
    const err = await failed(adapter.getPayment("MOJO0000X00000000000"));
    expectInstamojo502(err, "auth");
    expect(instamojoFailureOf(err)?.message).toContain("invalid_client");
    expect(everythingIn(err)).not.toContain(FAKE_INSTAMOJO_SECRET);
    expect(lines.join("\n")).not.toContain(FAKE_INSTAMOJO_SECRET);
    expect(lines).toHaveLength(1);
  });

  it("a token endpoint failing with 5xx → 502 server; with nonsense → bad_response", async () => {
    const fake = new FakeInstamojoClient();
    await fake.fault({ op: "token", mode: "server_error" });
    expectInstamojo502(await failed(fake.adapter().getPayment("MOJO0000X0000000001")), "server");
    await fake.fault({ op: "token", mode: "missing_fields" });
    expectInstamojo502(
      await failed(fake.adapter().getPayment("MOJO0000X0000000001")),
      "bad_response",
    );
  });

  it("the constructor refuses missing credentials", () => {
    expect(() => new InstamojoHttpProvider({ clientId: "", clientSecret: "x" })).toThrow(TypeError);
    expect(() => new InstamojoHttpProvider({ clientId: "x", clientSecret: "" })).toThrow(TypeError);
  });
});

describe("failures", () => {
  const cases: [FakeInstamojoOp, FakeInstamojoFaultMode, InstamojoFailureKind][] = [
    ["create_request", "server_error", "server"],
    ["create_request", "success_false", "rejected"],
    ["create_request", "unreadable", "bad_response"],
    ["create_request", "missing_fields", "bad_response"],
    ["create_request", "rate_limited", "rate_limited"],
    ["get_payment", "server_error", "server"],
    ["get_payment", "success_false", "rejected"],
    ["get_payment", "unreadable", "bad_response"],
    ["get_request", "missing_fields", "bad_response"],
    ["get_refund", "server_error", "server"],
  ];

  it.each(cases)("%s answering %s → 502 %s, logged without a body", async (op, mode, kind) => {
    const fake = new FakeInstamojoClient();
    const { lines, logger } = recordingLogger();
    const adapter = fake.adapter({ logger });
    const { request, paymentId } = await paidPayment(fake, adapter);
    const refund = await adapter.createRefund({
      paymentId,
      transactionId: "rfd_1",
      type: "RFD",
      reason: "x",
      amountPaise: 100,
    });
    await fake.fault({ op, mode });
    const call = {
      create_request: () => adapter.createPaymentRequest(aPaymentRequest()),
      get_payment: () => adapter.getPayment(paymentId),
      get_request: () => adapter.getPaymentRequest(request.id),
      get_refund: () => adapter.getRefund(refund.id),
    }[op as "create_request"];
    const err = await failed(call());
    expectInstamojo502(err, kind);
    const everything = `${everythingIn(err)}\n${lines.join("\n")}`;
    for (const leak of ["Something went wrong", "maintenance", "Internal Server Error"]) {
      expect(everything).not.toContain(leak);
    }
    const tokens = (await fake.state()).tokens;
    for (const token of tokens) expect(everything).not.toContain(token);
    expect(everything).not.toContain(FAKE_INSTAMOJO_SECRET);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: "warn", msg: "instamojo request failed", op, kind }),
    ]);
  });

  it("a create that got a 5xx is not sent again (it may exist)", async () => {
    const fake = new FakeInstamojoClient();
    await fake.fault({ op: "create_request", mode: "server_error", applyFirst: true });
    const err = await failed(fake.adapter().createPaymentRequest(aPaymentRequest()));
    expectInstamojo502(err, "server");
    expect(certainlyNotApplied(instamojoFailureOf(err) ?? expect.fail("no cause"))).toBe(false);
    const state = await fake.state();
    expect(state.calls.create_request).toBe(1);
    expect(state.requests).toHaveLength(1);
  });

  it("no answer → 502 timeout within the configured timeout, and no second create", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter({ timeoutMs: 250 });
    await adapter.getPayment("MOJO0000X0000000001"); // the token, so only the create is timed
    await fake.fault({ op: "create_request", mode: "hang", hangMs: 5_000 });
    const started = Date.now();
    const err = await failed(adapter.createPaymentRequest(aPaymentRequest()));
    const elapsed = Date.now() - started;
    expectInstamojo502(err, "timeout");
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2_000);
    expect((await fake.state()).calls.create_request).toBe(1);
  });

  it("a hanging token endpoint times out too", async () => {
    const fake = new FakeInstamojoClient();
    await fake.fault({ op: "token", mode: "hang", hangMs: 5_000 });
    const started = Date.now();
    const err = await failed(fake.adapter({ timeoutMs: 250 }).getPayment("MOJO0000X0000000001"));
    expectInstamojo502(err, "timeout");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("the deadline bounds a whole refund, retry included", async () => {
    const fake = new FakeInstamojoClient();
    const adapter = fake.adapter({ timeoutMs: 300, deadlineMs: 450 });
    const { paymentId } = await paidPayment(fake, adapter);
    await fake.fault({ op: "create_refund", mode: "hang", times: -1, hangMs: 5_000 });
    const started = Date.now();
    const err = await failed(
      adapter.createRefund({
        paymentId,
        transactionId: "rfd_deadline",
        type: "RFD",
        reason: "x",
        amountPaise: 100,
      }),
    );
    expectInstamojo502(err, "timeout");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("nothing listening → 502 unreachable, without the URL", async () => {
    const adapter = new InstamojoHttpProvider({
      clientId: "client-unreachable",
      clientSecret: FAKE_INSTAMOJO_SECRET,
      baseUrl: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}/`,
    });
    const err = await failed(adapter.getPayment("MOJO0000X0000000001"));
    expectInstamojo502(err, "unreachable");
    expect(everythingIn(err)).not.toContain(testEnv.TEST_CLOSED_PORT);
  });
});

describe("helpers", () => {
  it("phone numbers: Indian ones lose +91", () => {
    expect(instamojoPhone("+919812345678")).toBe("9812345678");
    expect(instamojoPhone("+91 98123-45678")).toBe("9812345678");
    expect(instamojoPhone("+14155550123")).toBe("+14155550123");
    expect(instamojoPhone(null)).toBeNull();
  });

  it("purpose: at most 30 characters, never half a character", () => {
    expect(truncatePurpose("a".repeat(40))).toHaveLength(30);
    const emoji = `${"a".repeat(29)}🎓🎓`;
    expect(Array.from(truncatePurpose(emoji))).toHaveLength(30);
    expect(truncatePurpose(emoji).endsWith("🎓")).toBe(true);
  });

  it("payment request ids from links or bare ids", () => {
    const id = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    expect(paymentRequestIdOf(`https://api.instamojo.com/v2/payment_requests/${id}/`)).toBe(id);
    expect(paymentRequestIdOf(id.toUpperCase())).toBe(id);
    expect(paymentRequestIdOf("https://api.instamojo.com/v2/payment_requests/short/")).toBeNull();
    expect(paymentRequestIdOf(null)).toBeNull();
  });
});
