/** The development channels: what they record, and the deterministic fail-3-then-succeed. */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEmailChannel,
  createSmsChannel,
  createWhatsAppChannelFor,
  DEV_FAILURES_BEFORE_SUCCESS,
  DevEmailChannel,
  DevSmsChannel,
  DevWhatsAppChannel,
  devMessages,
  linksIn,
  type SendOutcome,
} from "../../src/providers/messaging";

afterEach(() => vi.restoreAllMocks());

const key = () => crypto.randomUUID();
/** The key the table-driven fail-first cases send with (set by each case). */
let currentKey = "";

describe("dev channels", () => {
  it("email: one JSON console line with the links; the message is readable by its key", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const k = key();
    const outcome = await new DevEmailChannel().send({
      to: "asha@example.in",
      subject: "Verify your email",
      text: "Open https://app.coaching.test/verify?token=t0k3n. Or https://app.coaching.test/help",
      html: '<a href="https://app.coaching.test/verify?token=t0k3n">Verify</a>',
      idempotencyKey: k,
    });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.providerMessageId).toMatch(/^dev-[0-9a-f-]{36}$/);

    expect(info).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(info.mock.calls[0]?.[0]));
    expect(line).toMatchObject({
      channel: "email",
      to: "asha@example.in",
      subject: "Verify your email",
      links: ["https://app.coaching.test/verify?token=t0k3n", "https://app.coaching.test/help"],
    });
    expect(devMessages.get(k)).toMatchObject({
      channel: "email",
      provider: "dev",
      providerMessageId: outcome.providerMessageId,
      attempts: 1,
      links: ["https://app.coaching.test/verify?token=t0k3n", "https://app.coaching.test/help"],
    });
  });

  it("WhatsApp templates and SMS are recorded with their template, params and links", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const wa = key();
    const sms = key();
    await new DevWhatsAppChannel().send({
      kind: "template",
      to: "+919812345678",
      name: "class_reminder",
      language: "en_US",
      params: ["Physics", "https://app.coaching.test/join/1"],
      idempotencyKey: wa,
    });
    await new DevSmsChannel().send({
      to: "+919812345678",
      body: "OTP 123456. https://app.coaching.test/o",
      idempotencyKey: sms,
      statusCallbackUrl: "https://api.coaching.test/cb",
    });
    expect(devMessages.get(wa)).toMatchObject({
      channel: "whatsapp",
      template: {
        name: "class_reminder",
        language: "en_US",
        params: ["Physics", "https://app.coaching.test/join/1"],
      },
      links: ["https://app.coaching.test/join/1"],
    });
    expect(devMessages.get(sms)).toMatchObject({
      channel: "sms",
      text: "OTP 123456. https://app.coaching.test/o",
      statusCallbackUrl: "https://api.coaching.test/cb",
      links: ["https://app.coaching.test/o"],
    });
  });

  it("a repeated key answers the same id and records one message", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const k = key();
    const ch = new DevSmsChannel();
    const a = await ch.send({ to: "+919812345671", body: "hi", idempotencyKey: k });
    const b = await ch.send({ to: "+919812345671", body: "hi", idempotencyKey: k });
    expect(b).toEqual(a);
    expect(devMessages.list("+919812345671").filter((m) => m.idempotencyKey === k)).toHaveLength(1);
    expect(devMessages.get(k)?.attempts).toBe(2);
  });

  describe.each([
    [
      "email to fail@…",
      () =>
        new DevEmailChannel().send({
          to: "fail@example.in",
          subject: "s",
          text: "t",
          idempotencyKey: currentKey,
        }),
    ],
    [
      "email to Failing.Ravi@…",
      () =>
        new DevEmailChannel().send({
          to: "Failing.Ravi@example.in",
          subject: "s",
          text: "t",
          idempotencyKey: currentKey,
        }),
    ],
    [
      "WhatsApp to …0000",
      () =>
        new DevWhatsAppChannel().send({
          kind: "text",
          to: "+919812340000",
          body: "b",
          idempotencyKey: currentKey,
        }),
    ],
    [
      "SMS to …0000",
      () =>
        new DevSmsChannel().send({ to: "+919812340000", body: "b", idempotencyKey: currentKey }),
    ],
  ])("%s", (_, send) => {
    it("fails retryably 3 times per key, then succeeds once and stays succeeded", async () => {
      vi.spyOn(console, "info").mockImplementation(() => undefined);
      currentKey = key();
      const outcomes: SendOutcome[] = [];
      for (let i = 0; i < DEV_FAILURES_BEFORE_SUCCESS + 2; i++) outcomes.push(await send());
      expect(DEV_FAILURES_BEFORE_SUCCESS).toBe(3);
      for (const o of outcomes.slice(0, 3)) {
        expect(o).toMatchObject({
          ok: false,
          retryable: true,
          status: 503,
          code: "DEV_SIMULATED_503",
        });
      }
      expect(outcomes[3]?.ok).toBe(true);
      expect(outcomes[4]).toEqual(outcomes[3]);
      expect(devMessages.get(currentKey)?.attempts).toBe(5);

      // A new key starts over: the count is per idempotencyKey, not per recipient.
      currentKey = key();
      expect((await send()).ok).toBe(false);
    });
  });

  it("ordinary recipients never fail", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const email = await new DevEmailChannel().send({
      to: "notfail@example.in",
      subject: "s",
      text: "t",
      idempotencyKey: key(),
    });
    const sms = await new DevSmsChannel().send({
      to: "+919812300001",
      body: "b",
      idempotencyKey: key(),
    });
    expect([email.ok, sms.ok]).toEqual([true, true]);
  });

  it("the factories give the dev channels for provider dev", () => {
    expect(createEmailChannel({ provider: "dev" })).toBeInstanceOf(DevEmailChannel);
    expect(createWhatsAppChannelFor({ provider: "dev" })).toBeInstanceOf(DevWhatsAppChannel);
    expect(createSmsChannel({ provider: "dev" })).toBeInstanceOf(DevSmsChannel);
  });

  it("linksIn trims trailing punctuation and dedupes", () => {
    expect(linksIn("See https://a.test/x, and https://a.test/x. (https://b.test/y)")).toEqual([
      "https://a.test/x",
      "https://b.test/y",
    ]);
  });
});
