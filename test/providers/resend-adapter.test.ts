/**
 * The Resend email channel against the fake Resend (test/support/node/fake-email.ts): what is
 * sent, idempotent retries, and how every failure is classified for the outbox.
 */
import { describe, expect, it } from "vitest";
import type { EmailSend, SendOutcome } from "../../src/providers/messaging";
import { createResendChannel, type ResendChannelOptions } from "../../src/providers/resend";
import { testEnv } from "../support/env";

/** The one key the fake accepts (FAKE_EMAIL_API_KEY in the fake). */
const API_KEY = "re_test_fake_0123456789abcdef";
const FROM = "Coaching <noreply@coaching.example.in>";
const BASE = testEnv.TEST_FAKE_EMAIL_URL;

const domain = () => `${crypto.randomUUID().slice(0, 8)}.example.in`;
const channel = (opts: Partial<ResendChannelOptions> = {}) =>
  createResendChannel({ apiKey: API_KEY, from: FROM, baseUrl: BASE, ...opts });
const mail = (to: string, overrides: Partial<EmailSend> = {}): EmailSend => ({
  to,
  subject: "Your class starts soon",
  text: "Join at https://app.coaching.test/join?t=abc",
  html: '<a href="https://app.coaching.test/join?t=abc">Join</a>',
  tags: [{ name: "template", value: "class_reminder" }],
  headers: { "X-Entity-Ref-ID": "msg_123" },
  idempotencyKey: crypto.randomUUID(),
  ...overrides,
});

interface Received {
  id: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  tags?: unknown;
  idempotencyKey?: string;
  attempts: number;
}
async function received(to: string): Promise<Received[]> {
  const res = await fetch(`${BASE}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as Received[];
}
async function failNext(to: string, failures: number) {
  const res = await fetch(`${BASE}/__faults`, {
    method: "POST",
    body: JSON.stringify({ to, failures }),
  });
  expect(res.status).toBe(204);
}
function failure(outcome: SendOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("Resend channel", () => {
  it("sends the message with the idempotency key and answers Resend's id", async () => {
    const to = `asha@${domain()}`;
    const m = mail(to);
    const outcome = await channel().send(m);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);

    const [got, ...more] = await received(to);
    expect(more).toEqual([]);
    expect(outcome).toEqual({ ok: true, providerMessageId: got?.id });
    expect(got).toMatchObject({
      to: [to],
      subject: m.subject,
      text: m.text,
      html: m.html,
      tags: m.tags,
      idempotencyKey: m.idempotencyKey,
      attempts: 1,
    });
  });

  it("a retried send (same key, same body) answers the same id and is delivered once", async () => {
    const to = `ravi@${domain()}`;
    const m = mail(to);
    const first = await channel().send(m);
    const again = await channel().send(m);
    expect(again).toEqual(first);
    const list = await received(to);
    expect(list).toHaveLength(1);
    expect(list[0]?.attempts).toBe(2);
  });

  it("the same key with another body → 409 invalid_idempotent_request, final", async () => {
    const to = `meera@${domain()}`;
    const m = mail(to);
    expect((await channel().send(m)).ok).toBe(true);
    const outcome = failure(await channel().send({ ...m, subject: "Something else" }));
    expect(outcome).toMatchObject({
      retryable: false,
      status: 409,
      code: "RESEND_INVALID_IDEMPOTENT_REQUEST",
    });
    expect(await received(to)).toHaveLength(1);
  });

  it("the same key while the first request is in flight → 409 concurrent, retryable", async () => {
    const to = `slow@${domain()}`;
    const m = mail(to);
    const first = channel({ timeoutMs: 5_000 }).send(m);
    await new Promise((r) => setTimeout(r, 300));
    const second = failure(await channel().send(m));
    expect(second).toMatchObject({
      retryable: true,
      status: 409,
      code: "RESEND_CONCURRENT_IDEMPOTENT_REQUESTS",
    });
    expect((await first).ok).toBe(true);
  }, 10_000);

  it("fails three times (503), then the outbox's fourth attempt delivers once", async () => {
    const to = `nisha@${domain()}`;
    await failNext(to, 3);
    const m = mail(to);
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await channel().send(m));
    expect(outcomes.slice(0, 3).map((o) => !o.ok && o.retryable)).toEqual([true, true, true]);
    expect(failure(outcomes[0] as SendOutcome)).toMatchObject({ status: 503 });
    expect(outcomes[3]?.ok).toBe(true);
    expect(await received(to)).toHaveLength(1);
  });

  describe.each([
    ["a 500", (d: string) => `fail-500@${d}`, { retryable: true, status: 500 }],
    [
      "a 429 with Retry-After: 1",
      (d: string) => `rate-429@${d}`,
      { retryable: true, status: 429, retryAfterSeconds: 1, code: "RESEND_RATE_LIMIT_EXCEEDED" },
    ],
    [
      "an invalid recipient (422)",
      () => "not-an-address",
      { retryable: false, status: 422, code: "RESEND_VALIDATION_ERROR" },
    ],
  ] as const)("%s", (_, recipient, expected) => {
    it("is classified for the outbox", async () => {
      const outcome = failure(await channel().send(mail(recipient(domain()))));
      expect(outcome, JSON.stringify(outcome)).toMatchObject(expected);
    });
  });

  it("a wrong API key (403) is final, and the key appears nowhere in the outcome", async () => {
    const wrong = "re_wrong_key_that_must_not_leak_42";
    const outcome = failure(await channel({ apiKey: wrong }).send(mail(`x@${domain()}`)));
    expect(outcome).toMatchObject({
      retryable: false,
      status: 403,
      code: "RESEND_INVALID_API_KEY",
    });
    expect(JSON.stringify(outcome)).not.toContain(wrong);
  });

  it("no answer within the timeout (a port that never answers) → retryable TIMEOUT", async () => {
    const started = Date.now();
    const outcome = failure(
      await channel({
        baseUrl: `http://127.0.0.1:${testEnv.TEST_BLACKHOLE_PORT}`,
        timeoutMs: 300,
      }).send(mail(`y@${domain()}`)),
    );
    expect(outcome).toMatchObject({ retryable: true, code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("nothing listening → retryable NETWORK", async () => {
    const outcome = failure(
      await channel({ baseUrl: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}` }).send(
        mail(`z@${domain()}`),
      ),
    );
    expect(outcome).toMatchObject({ retryable: true, code: "NETWORK" });
  });

  it("a 200 without an id is retryable (the idempotency key makes asking again safe)", async () => {
    const outcome = failure(
      await channel({ fetch: async () => new Response("{}", { status: 200 }) }).send(
        mail(`w@${domain()}`),
      ),
    );
    expect(outcome).toMatchObject({ retryable: true, code: "BAD_RESPONSE" });
  });

  it("an idempotency key over 256 characters is refused before any request", async () => {
    let called = false;
    const outcome = failure(
      await channel({
        fetch: async () => {
          called = true;
          return new Response("{}");
        },
      }).send(mail(`v@${domain()}`, { idempotencyKey: "k".repeat(257) })),
    );
    expect(outcome).toMatchObject({ retryable: false, code: "INVALID_REQUEST" });
    expect(called).toBe(false);
  });
});
