/**
 * The Resend email channel (src/providers/resend/adapter.ts) against the fake Resend API
 * (test/support/node/fake-email.ts): what the notifications consumer sends email through.
 * Carried over from the tests of the direct sender it replaced.
 */
import { describe, expect, it } from "vitest";
import { ResendChannel } from "../../src/providers/resend";
import { testEnv } from "../support/env";

/** The key test/support/node/fake-email.ts accepts. */
const FAKE_KEY = "re_test_fake_0123456789abcdef";
const WRONG_KEY = "re_live_wrong_SECRET_9f8e7d6c5b4a";
const FROM = "Coaching <no-reply@coaching.test>";
const LINK = "https://app.coaching.test/reset-password?token=abc";

interface ReceivedEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  tags?: { name: string; value: string }[];
  idempotencyKey?: string;
}

const unique = (prefix = "user") => `${prefix}@${crypto.randomUUID().slice(0, 8)}.example.in`;

const channel = (opts: { apiKey?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
  new ResendChannel({
    apiKey: opts.apiKey ?? FAKE_KEY,
    from: FROM,
    baseUrl: opts.baseUrl ?? testEnv.TEST_FAKE_EMAIL_URL,
    timeoutMs: opts.timeoutMs,
  });

const message = (to: string, idempotencyKey: string = crypto.randomUUID()) => ({
  to,
  subject: "Reset your password",
  text: `Choose a new password: ${LINK}`,
  html: `<p><a href="${LINK}">Choose a new password</a></p>`,
  tags: [{ name: "template", value: "password_reset" }],
  idempotencyKey,
});

async function received(to: string): Promise<ReceivedEmail[]> {
  const res = await fetch(`${testEnv.TEST_FAKE_EMAIL_URL}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as ReceivedEmail[];
}

describe("Resend channel against the fake Resend API", () => {
  it("delivers the message with the outbox's idempotency key and answers the provider id", async () => {
    const to = unique();
    const key = crypto.randomUUID();
    const outcome = await channel().send(message(to, key));
    expect(outcome.ok).toBe(true);
    const [mail, ...others] = await received(to);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({
      from: FROM,
      to: [to],
      subject: "Reset your password",
      tags: [{ name: "template", value: "password_reset" }],
      idempotencyKey: key,
    });
    expect(outcome).toEqual({ ok: true, providerMessageId: mail?.id });
    expect(mail?.text).toContain(LINK);
    expect(mail?.html).toContain(`href="${LINK}"`);
  });

  it("a retried send with the same key is delivered once", async () => {
    const to = unique();
    const first = await channel().send(message(to, "reset-42"));
    const retry = await channel().send(message(to, "reset-42"));
    expect(first.ok && retry.ok).toBe(true);
    expect(retry).toEqual(first);
    expect(await received(to)).toHaveLength(1);
  });

  it.for([
    ["a wrong API key (403)", (to: string) => to, WRONG_KEY, 403, false],
    ["a provider fault (500)", (to: string) => `fail-500@${to.split("@")[1]}`, FAKE_KEY, 500, true],
    ["rate limiting (429)", (to: string) => `rate-429@${to.split("@")[1]}`, FAKE_KEY, 429, true],
    ["an invalid recipient (422)", () => "not-an-address", FAKE_KEY, 422, false],
  ] as const)(
    "%s: a failure, retryable as it should be, without the key",
    async ([, recipient, apiKey, status, retryable]) => {
      const to = recipient(unique());
      const outcome = await channel({ apiKey }).send(message(to));
      expect(outcome).toMatchObject({ ok: false, status, retryable });
      expect(JSON.stringify(outcome)).not.toContain(apiKey);
      expect(await received(to)).toEqual([]);
    },
  );

  it("a provider that does not answer in time is a retryable failure", async () => {
    const to = `slow@${unique().split("@")[1]}`;
    // The fake answers after 3 s: the 300 ms timeout fires first.
    const started = Date.now();
    const outcome = await channel({ timeoutMs: 300 }).send(message(to));
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  // workerd logs its own "Connection refused / Network connection lost" lines here: expected.
  it("an unreachable provider is a retryable failure that never carries the key", async () => {
    const outcome = await channel({
      baseUrl: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}`,
    }).send(message(unique()));
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(JSON.stringify(outcome)).not.toContain(FAKE_KEY);
  });

  it("a channel without an API key cannot be made", () => {
    expect(() => new ResendChannel({ apiKey: "", from: FROM })).toThrow(TypeError);
  });
});
