/**
 * The Twilio SMS channel against the fake (test/support/node/fake-twilio.ts): the form Twilio
 * expects, Basic auth, and how its errors are classified for the outbox.
 */
import { describe, expect, it } from "vitest";
import type { SendOutcome, SmsSend } from "../../src/providers/messaging";
import { createTwilioChannel, type TwilioChannelOptions } from "../../src/providers/twilio";
import { testEnv } from "../support/env";

const env = testEnv as typeof testEnv & { TEST_FAKE_TWILIO_URL: string };
/** The auth token the fake accepts (FAKE_TWILIO_AUTH_TOKEN in the fake). */
const AUTH_TOKEN = "fake_twilio_auth_token_0123456789ab";
const BASE = env.TEST_FAKE_TWILIO_URL;
const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
const ACCOUNT = `AC${hex(16)}`;
const SERVICE = `MG${hex(16)}`;

const phone = (suffix = `7${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`) =>
  `+9197${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}${suffix}`;
const channel = (opts: Partial<TwilioChannelOptions> = {}) =>
  createTwilioChannel({
    accountSid: ACCOUNT,
    authToken: AUTH_TOKEN,
    from: "+15005550006",
    baseUrl: BASE,
    ...opts,
  });
const sms = (to: string, overrides: Partial<SmsSend> = {}): SmsSend => ({
  to,
  body: "Your OTP is 123456",
  idempotencyKey: crypto.randomUUID(),
  ...overrides,
});

interface Received {
  sid: string;
  accountSid: string;
  form: Record<string, string>;
}
async function received(to: string): Promise<Received[]> {
  const res = await fetch(`${BASE}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as Received[];
}
function failure(outcome: SendOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("Twilio SMS channel", () => {
  it("posts To, From, Body and the StatusCallback, and answers the SM sid", async () => {
    const to = phone();
    const outcome = await channel().send(
      sms(to, { statusCallbackUrl: "https://api.coaching.test/webhooks/twilio/status?o=1" }),
    );
    const [got, ...more] = await received(to);
    expect(more).toEqual([]);
    expect(outcome).toEqual({ ok: true, providerMessageId: got?.sid });
    expect(got?.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(got?.accountSid).toBe(ACCOUNT);
    expect(got?.form).toEqual({
      To: to,
      From: "+15005550006",
      Body: "Your OTP is 123456",
      StatusCallback: "https://api.coaching.test/webhooks/twilio/status?o=1",
    });
  });

  it("a messaging service is sent instead of From; the default callback applies", async () => {
    const to = phone();
    const outcome = await channel({
      from: undefined,
      messagingServiceSid: SERVICE,
      statusCallbackUrl: "https://api.coaching.test/cb",
    }).send(sms(to));
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const [got] = await received(to);
    expect(got?.form).toEqual({
      To: to,
      MessagingServiceSid: SERVICE,
      Body: "Your OTP is 123456",
      StatusCallback: "https://api.coaching.test/cb",
    });
  });

  describe.each([
    ["a 500", "0500", { retryable: true, status: 500, code: "TWILIO_20500" }],
    [
      "an opted-out recipient (21610)",
      "0610",
      { retryable: false, status: 400, code: "TWILIO_21610" },
    ],
  ] as const)("%s", (_, suffix, expected) => {
    it("is classified for the outbox", async () => {
      const to = phone(suffix);
      const outcome = failure(await channel().send(sms(to)));
      expect(outcome, JSON.stringify(outcome)).toMatchObject(expected);
      expect(await received(to)).toEqual([]);
    });
  });

  it("429 with Retry-After as an HTTP-date → retryable, seconds until that date", async () => {
    const outcome = failure(await channel().send(sms(phone("0429"))));
    expect(outcome).toMatchObject({ retryable: true, status: 429, code: "TWILIO_20429" });
    // The fake says 30 s ahead, in whole seconds.
    expect(outcome.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(outcome.retryAfterSeconds).toBeLessThanOrEqual(31);
  });

  it("a wrong auth token → 401 code 20003, final, the token in no outcome", async () => {
    const wrong = "wrong_twilio_token_that_must_not_leak";
    const outcome = failure(await channel({ authToken: wrong }).send(sms(phone())));
    expect(outcome).toMatchObject({ retryable: false, status: 401, code: "TWILIO_20003" });
    expect(JSON.stringify(outcome)).not.toContain(wrong);
  });

  it("fails three times (503), then the fourth attempt is delivered once", async () => {
    const to = phone();
    const res = await fetch(`${BASE}/__faults`, {
      method: "POST",
      body: JSON.stringify({ to, failures: 3 }),
    });
    expect(res.status).toBe(204);
    const m = sms(to);
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await channel().send(m));
    for (const o of outcomes.slice(0, 3)) {
      expect(o).toMatchObject({ ok: false, retryable: true, status: 503 });
    }
    expect(outcomes[3]?.ok).toBe(true);
    expect(await received(to)).toHaveLength(1);
  });

  it("the blackhole port → retryable TIMEOUT after timeoutMs", async () => {
    const started = Date.now();
    const outcome = failure(
      await channel({
        baseUrl: `http://127.0.0.1:${testEnv.TEST_BLACKHOLE_PORT}`,
        timeoutMs: 300,
      }).send(sms(phone())),
    );
    expect(outcome).toMatchObject({ retryable: true, code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ["a recipient that is not E.164", sms("09812345678")],
    ["an empty body", sms("+919812345678", { body: "" })],
    ["a body over 1600 characters", sms("+919812345678", { body: "x".repeat(1601) })],
  ])("%s is refused before any request", async (_, m) => {
    let called = false;
    const outcome = failure(
      await channel({
        fetch: async () => {
          called = true;
          return new Response("{}");
        },
      }).send(m),
    );
    expect(outcome).toMatchObject({ retryable: false, code: "INVALID_REQUEST" });
    expect(called).toBe(false);
  });

  it("needs a sender: neither from nor a messaging service is a configuration error", () => {
    expect(() => channel({ from: undefined })).toThrow(/from or messagingServiceSid/);
  });
});
