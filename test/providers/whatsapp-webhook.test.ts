/** WhatsApp webhooks: X-Hub-Signature-256, the subscription challenge, and payload parsing. */
import { describe, expect, it } from "vitest";
import {
  parseWhatsAppWebhook,
  signWhatsApp,
  verifyWhatsAppChallenge,
  verifyWhatsAppSignature,
} from "../../src/providers/whatsapp";

const APP_SECRET = "whatsapp-app-secret-0123456789";

/** Shaped like Meta's documented examples: an inbound text, and statuses. */
const inbound = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "919812345678" }],
            messages: [
              {
                from: "919812345678",
                id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                timestamp: "1749416383",
                type: "text",
                text: { body: "Does it come in another color?" },
              },
              {
                from: "919812345678",
                id: "wamid.button",
                timestamp: "1749416390",
                type: "button",
                button: { payload: "STOP", text: "Stop promotions" },
              },
              {
                from: "919812345678",
                id: "wamid.image",
                timestamp: "1749416400",
                type: "image",
                image: { id: "1" },
              },
              { from: "not-a-number", id: "x", timestamp: "1", type: "text" },
            ],
          },
        },
      ],
    },
  ],
};

const statuses = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            statuses: [
              {
                id: "wamid.sent",
                status: "delivered",
                timestamp: "1750263773",
                recipient_id: "919812345678",
                biz_opaque_callback_data: "outbox-key-1",
                conversation: { id: "c1", origin: { type: "utility" } },
                pricing: { billable: true, category: "utility" },
              },
              {
                id: "wamid.failed",
                status: "failed",
                timestamp: "1750263780",
                recipient_id: "919812345678",
                errors: [
                  {
                    code: 131047,
                    title: "Re-engagement message",
                    message: "Re-engagement message",
                    error_data: { details: "More than 24 hours have passed" },
                  },
                ],
              },
              {
                id: "wamid.odd",
                status: "deleted",
                timestamp: "1750263790",
                recipient_id: "919812345678",
              },
            ],
          },
        },
        { field: "account_update", value: { anything: true } },
      ],
    },
  ],
};

describe("verifyWhatsAppSignature", () => {
  const body = JSON.stringify(inbound);

  it("accepts Meta's header over the raw body (string, bytes, ArrayBuffer), any hex case", async () => {
    const header = await signWhatsApp(body, APP_SECRET);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await verifyWhatsAppSignature(body, header, APP_SECRET)).toBe(true);
    const bytes = new TextEncoder().encode(body);
    expect(await verifyWhatsAppSignature(bytes, header, APP_SECRET)).toBe(true);
    expect(
      await verifyWhatsAppSignature(await new Response(body).arrayBuffer(), header, APP_SECRET),
    ).toBe(true);
    const upper = `sha256=${header.slice(7).toUpperCase()}`;
    expect(await verifyWhatsAppSignature(body, upper, APP_SECRET)).toBe(true);
  });

  it("matches an independently computed HMAC-SHA256", async () => {
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(APP_SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("{}")),
    );
    const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
    expect(await verifyWhatsAppSignature("{}", `sha256=${hex}`, APP_SECRET)).toBe(true);
  });

  it.each([
    ["a tampered body", async () => [`${body} `, await signWhatsApp(body, APP_SECRET), APP_SECRET]],
    ["another secret", async () => [body, await signWhatsApp(body, "other-secret"), APP_SECRET]],
    ["a missing header", async () => [body, null, APP_SECRET]],
    ["an empty header", async () => [body, "", APP_SECRET]],
    ["the SHA-1 header format", async () => [body, `sha1=${"a".repeat(40)}`, APP_SECRET]],
    [
      "a header without the prefix",
      async () => [body, (await signWhatsApp(body, APP_SECRET)).slice(7), APP_SECRET],
    ],
    ["an empty app secret", async () => [body, await signWhatsApp(body, APP_SECRET), ""]],
  ] as const)("refuses %s", async (_, make) => {
    const [raw, header, secret] = (await make()) as unknown as [string, string | null, string];
    expect(await verifyWhatsAppSignature(raw, header, secret)).toBe(false);
  });
});

describe("verifyWhatsAppChallenge", () => {
  const q = (s: string) => new URLSearchParams(s);
  it("returns the raw challenge for our token, as params or a record", () => {
    expect(
      verifyWhatsAppChallenge(
        q("hub.mode=subscribe&hub.verify_token=tok-1&hub.challenge=1158201444"),
        "tok-1",
      ),
    ).toBe("1158201444");
    expect(
      verifyWhatsAppChallenge(
        { "hub.mode": "subscribe", "hub.verify_token": "tok-1", "hub.challenge": "abc" },
        "tok-1",
      ),
    ).toBe("abc");
  });
  it.each([
    ["a wrong token", "hub.mode=subscribe&hub.verify_token=tok-2&hub.challenge=1", "tok-1"],
    ["another mode", "hub.mode=unsubscribe&hub.verify_token=tok-1&hub.challenge=1", "tok-1"],
    ["no challenge", "hub.mode=subscribe&hub.verify_token=tok-1", "tok-1"],
    ["no token", "hub.mode=subscribe&hub.challenge=1", "tok-1"],
    ["no configured token", "hub.mode=subscribe&hub.verify_token=&hub.challenge=1", ""],
  ])("null for %s", (_, query, token) => {
    expect(verifyWhatsAppChallenge(q(query), token)).toBeNull();
  });
});

describe("parseWhatsAppWebhook", () => {
  it("flattens inbound messages with E.164 senders, names and texts; skips malformed items", () => {
    const parsed = parseWhatsAppWebhook(JSON.stringify(inbound));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.statuses).toEqual([]);
    expect(parsed.value.skipped).toBe(1);
    expect(parsed.value.inbound).toEqual([
      {
        from: "+919812345678",
        id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        timestamp: new Date(1749416383 * 1000),
        type: "text",
        text: "Does it come in another color?",
        name: "Sheena Nelson",
        phoneNumberId: "106540352242922",
      },
      {
        from: "+919812345678",
        id: "wamid.button",
        timestamp: new Date(1749416390 * 1000),
        type: "button",
        text: "Stop promotions",
        name: "Sheena Nelson",
        phoneNumberId: "106540352242922",
      },
      {
        from: "+919812345678",
        id: "wamid.image",
        timestamp: new Date(1749416400 * 1000),
        type: "image",
        name: "Sheena Nelson",
        phoneNumberId: "106540352242922",
      },
    ]);
  });

  it("reads statuses with errors and our callback data; other fields and statuses are left out", () => {
    const parsed = parseWhatsAppWebhook(statuses);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.inbound).toEqual([]);
    expect(parsed.value.skipped).toBe(1); // "deleted" is not a delivery status we track
    expect(parsed.value.statuses).toEqual([
      {
        id: "wamid.sent",
        status: "delivered",
        timestamp: new Date(1750263773 * 1000),
        recipient: "+919812345678",
        callbackData: "outbox-key-1",
      },
      {
        id: "wamid.failed",
        status: "failed",
        timestamp: new Date(1750263780 * 1000),
        recipient: "+919812345678",
        error: "131047: Re-engagement message",
        errorCode: 131047,
      },
    ]);
  });

  it.each([
    ["not JSON", "{nope"],
    ["null", null],
    ["an array", []],
    ["another object type", { object: "page", entry: [] }],
    ["entries that are not a list", { object: "whatsapp_business_account", entry: {} }],
    ["a number", 42],
  ])("answers an error for %s, never throws", (_, body) => {
    const parsed = parseWhatsAppWebhook(body);
    expect(parsed.ok).toBe(false);
  });

  it("a change whose value is garbage is skipped, not fatal", () => {
    const parsed = parseWhatsAppWebhook({
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: [{ field: "messages", value: "garbage" }] }],
    });
    expect(parsed).toEqual({ ok: true, value: { inbound: [], statuses: [], skipped: 1 } });
  });
});
