/**
 * The WhatsApp Cloud API channel against the fake (test/support/node/fake-whatsapp.ts): the
 * request Meta expects, and how Graph errors are classified for the outbox.
 */
import { describe, expect, it } from "vitest";
import type { SendOutcome, WhatsAppSend } from "../../src/providers/messaging";
import {
  createWhatsAppChannel,
  WHATSAPP_API_VERSION,
  type WhatsAppChannelOptions,
} from "../../src/providers/whatsapp";
import { testEnv } from "../support/env";

const env = testEnv as typeof testEnv & { TEST_FAKE_WHATSAPP_URL: string };
/** The token the fake accepts (FAKE_WHATSAPP_TOKEN in the fake). */
const TOKEN = "EAAG-fake-whatsapp-token-0123456789";
const BASE = env.TEST_FAKE_WHATSAPP_URL;
const PHONE_ID = "106540352242922";

/** +91 98xxxx then four digits: a magic suffix, or a 7xxx one the fake treats as plain. */
const phone = (suffix = `7${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`) =>
  `+9198${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}${suffix}`;

const channel = (opts: Partial<WhatsAppChannelOptions> = {}) =>
  createWhatsAppChannel({ accessToken: TOKEN, phoneNumberId: PHONE_ID, baseUrl: BASE, ...opts });
const text = (to: string, body = "Class moved to 5 pm"): WhatsAppSend => ({
  kind: "text",
  to,
  body,
  idempotencyKey: crypto.randomUUID(),
});

interface Received {
  id: string;
  phoneNumberId: string;
  version: string;
  to: string;
  request: Record<string, unknown>;
}
async function received(to: string): Promise<Received[]> {
  const res = await fetch(`${BASE}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as Received[];
}
function failure(outcome: SendOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("WhatsApp channel", () => {
  it("sends a text to the number without '+' on the pinned version and answers the wamid", async () => {
    const to = phone();
    const m = text(to);
    const outcome = await channel().send(m);
    const [got, ...more] = await received(to);
    expect(more).toEqual([]);
    expect(outcome).toEqual({ ok: true, providerMessageId: got?.id });
    expect(got?.id).toMatch(/^wamid\./);
    expect(got).toMatchObject({ phoneNumberId: PHONE_ID, version: WHATSAPP_API_VERSION });
    expect(got?.request).toMatchObject({
      messaging_product: "whatsapp",
      to: to.slice(1),
      type: "text",
      text: { body: "Class moved to 5 pm" },
      biz_opaque_callback_data: m.idempotencyKey,
    });
  });

  it("sends a template with its body parameters in order", async () => {
    const to = phone();
    const outcome = await channel().send({
      kind: "template",
      to,
      name: "class_reminder",
      language: "en_US",
      params: ["Physics", "5 pm"],
      idempotencyKey: crypto.randomUUID(),
    });
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const [got] = await received(to);
    expect(got?.request).toMatchObject({
      type: "template",
      template: {
        name: "class_reminder",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Physics" },
              { type: "text", text: "5 pm" },
            ],
          },
        ],
      },
    });
  });

  describe.each([
    [
      "131047 (outside the 24-hour window)",
      "0047",
      { retryable: false, code: "WHATSAPP_WINDOW_CLOSED", status: 400 },
    ],
    [
      "130429 (throughput) with Retry-After: 7",
      "0429",
      { retryable: true, code: "WHATSAPP_130429", status: 429, retryAfterSeconds: 7 },
    ],
    [
      "131056 (pair rate limit) on a 400, no Retry-After",
      "0456",
      { retryable: true, code: "WHATSAPP_131056", status: 400, retryAfterSeconds: 6 },
    ],
    ["a 500", "0500", { retryable: true, code: "WHATSAPP_131000", status: 500 }],
  ] as const)("Graph error %s", (_, suffix, expected) => {
    it("is classified for the outbox and nothing is delivered", async () => {
      const to = phone(suffix);
      const outcome = failure(await channel().send(text(to)));
      expect(outcome, JSON.stringify(outcome)).toMatchObject(expected);
      expect(await received(to)).toEqual([]);
    });
  });

  it("a wrong token → 401 code 190, final, and the token is in no outcome", async () => {
    const wrong = "EAAG-wrong-token-that-must-not-leak";
    const outcome = failure(await channel({ accessToken: wrong }).send(text(phone())));
    expect(outcome).toMatchObject({ retryable: false, status: 401, code: "WHATSAPP_190" });
    expect(JSON.stringify(outcome)).not.toContain(wrong);
  });

  it("a parameter Meta refuses (bad template name) → 400 code 100, final", async () => {
    const outcome = failure(
      await channel().send({
        kind: "template",
        to: phone(),
        name: "Not A Template!",
        language: "en_US",
        params: [],
        idempotencyKey: "k",
      }),
    );
    expect(outcome).toMatchObject({ retryable: false, status: 400, code: "WHATSAPP_100" });
    expect(outcome.error).toContain("template['name']");
  });

  it("fails three times (503 code 131016), then the fourth attempt is delivered", async () => {
    const to = phone();
    const res = await fetch(`${BASE}/__faults`, {
      method: "POST",
      body: JSON.stringify({ to, failures: 3 }),
    });
    expect(res.status).toBe(204);
    const m = text(to);
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await channel().send(m));
    for (const o of outcomes.slice(0, 3)) {
      expect(o).toMatchObject({ ok: false, retryable: true, status: 503, code: "WHATSAPP_131016" });
    }
    expect(outcomes[3]?.ok).toBe(true);
    expect(await received(to)).toHaveLength(1);
  });

  it("a request the fake never answers → retryable TIMEOUT after timeoutMs", async () => {
    const started = Date.now();
    const outcome = failure(await channel({ timeoutMs: 300 }).send(text(phone("0408"))));
    expect(outcome).toMatchObject({ retryable: true, code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the blackhole port → retryable TIMEOUT", async () => {
    const outcome = failure(
      await channel({
        baseUrl: `http://127.0.0.1:${testEnv.TEST_BLACKHOLE_PORT}`,
        timeoutMs: 300,
      }).send(text(phone())),
    );
    expect(outcome).toMatchObject({ retryable: true, code: "TIMEOUT" });
  });

  it("a recipient that is not E.164 is refused before any request", async () => {
    let called = false;
    const outcome = failure(
      await channel({
        fetch: async () => {
          called = true;
          return new Response("{}");
        },
      }).send(text("9812345678")),
    );
    expect(outcome).toMatchObject({ retryable: false, code: "INVALID_REQUEST" });
    expect(called).toBe(false);
  });

  it("a 200 without a message id is final (sending again could deliver twice)", async () => {
    const outcome = failure(
      await channel({ fetch: async () => Response.json({ messaging_product: "whatsapp" }) }).send(
        text(phone()),
      ),
    );
    expect(outcome).toMatchObject({ retryable: false, code: "BAD_RESPONSE" });
  });
});
