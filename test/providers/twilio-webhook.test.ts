/** Twilio webhooks: X-Twilio-Signature as twilio-node checks it, and payload parsing. */
import { describe, expect, it } from "vitest";
import { parseTwilioWebhook, signTwilio, verifyTwilioSignature } from "../../src/providers/twilio";

// Twilio's documented validation example (api-snippets, signature_validation).
const TOKEN = "12345";
const URL_ = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS = {
  CallSid: "CA1234567890ABCDE",
  Caller: "+14158675310",
  Digits: "1234",
  From: "+14158675310",
  To: "+18005551212",
};
const SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc=";

const verify = (over: Partial<Parameters<typeof verifyTwilioSignature>[0]> = {}) =>
  verifyTwilioSignature({
    url: URL_,
    params: PARAMS,
    header: SIGNATURE,
    authToken: TOKEN,
    ...over,
  });

describe("verifyTwilioSignature", () => {
  it("accepts Twilio's documented example, as a record or as form params", async () => {
    expect(await verify()).toBe(true);
    expect(await verify({ params: new URLSearchParams(PARAMS) })).toBe(true);
    // Parameter order on the wire does not matter: keys are sorted.
    const reversed = new URLSearchParams(Object.entries(PARAMS).reverse());
    expect(await verify({ params: reversed })).toBe(true);
  });

  it("signTwilio reproduces it", async () => {
    expect(await signTwilio({ url: URL_, params: PARAMS, authToken: TOKEN })).toBe(SIGNATURE);
  });

  it("accepts a signature made with :443 when the URL has none, and the other way round", async () => {
    const withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    const signedWithPort = "5s2PFy0qmPcZucb4eH4b08ZJtL0="; // HMAC over the URL with :443
    expect(await verify({ header: signedWithPort })).toBe(true);
    expect(await verify({ url: withPort })).toBe(true);
  });

  it("accepts :80 for http, and a non-standard port only as signed or stripped", async () => {
    const url = "http://hooks.coaching.test/sms";
    const header = await signTwilio({ url, params: { A: "1" }, authToken: TOKEN });
    expect(
      await verify({ url: "http://hooks.coaching.test:80/sms", params: { A: "1" }, header }),
    ).toBe(true);
    const custom = "https://hooks.coaching.test:8443/sms";
    const customHeader = await signTwilio({ url: custom, params: { A: "1" }, authToken: TOKEN });
    expect(await verify({ url: custom, params: { A: "1" }, header: customHeader })).toBe(true);
    expect(
      await verify({
        url: "https://hooks.coaching.test:9443/sms",
        params: { A: "1" },
        header: customHeader,
      }),
    ).toBe(false);
  });

  it("a key sent twice signs its distinct values sorted, each as key + value", async () => {
    const params = new URLSearchParams([
      ["To", "+1"],
      ["Media", "b"],
      ["Media", "a"],
      ["Media", "b"],
    ]);
    // What twilio-node computes for {Media: ["b","a","b"], To: "+1"}: Media a, Media b, To +1.
    const data = `${URL_}MediaaMediabTo+1`;
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(TOKEN),
      { name: "HMAC", hash: "SHA-1" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)),
    );
    const expected = btoa(String.fromCharCode(...mac));
    expect(await signTwilio({ url: URL_, params, authToken: TOKEN })).toBe(expected);
    expect(await verify({ params, header: expected })).toBe(true);
  });

  it.each([
    ["a tampered parameter", { params: { ...PARAMS, Digits: "1235" } }],
    ["an added parameter", { params: { ...PARAMS, Extra: "" } }],
    ["another URL path", { url: "https://mycompany.com/myapp.php?foo=1&bar=3" }],
    ["another host", { url: "https://evil.example/myapp.php?foo=1&bar=2" }],
    ["another scheme", { url: "http://mycompany.com/myapp.php?foo=1&bar=2" }],
    ["another auth token", { authToken: "54321" }],
    ["a missing header", { header: null }],
    ["an empty header", { header: "" }],
    ["a truncated header", { header: SIGNATURE.slice(0, -1) }],
    ["an unparseable URL", { url: "not a url" }],
    ["an empty auth token", { authToken: "" }],
  ] as const)("refuses %s", async (_, change) => {
    expect(await verify(change)).toBe(false);
  });
});

const SID = "SM0123456789abcdef0123456789abcdef";

describe("parseTwilioWebhook", () => {
  it("reads an inbound SMS", () => {
    const form = new URLSearchParams({
      ToCountry: "IN",
      SmsMessageSid: SID,
      NumMedia: "0",
      SmsSid: SID,
      SmsStatus: "received",
      Body: "STOP",
      To: "+15005550006",
      MessageSid: SID,
      AccountSid: "AC0123456789abcdef0123456789abcdef",
      From: "+919812345678",
      ApiVersion: "2010-04-01",
    });
    expect(parseTwilioWebhook(form)).toEqual({
      ok: true,
      value: { kind: "inbound", sid: SID, from: "+919812345678", to: "+15005550006", body: "STOP" },
    });
  });

  it.each([
    ["queued", "queued"],
    ["accepted", "queued"],
    ["sending", "queued"],
    ["sent", "sent"],
    ["delivered", "delivered"],
    ["undelivered", "failed"],
    ["failed", "failed"],
  ] as const)("maps status %s → %s", (twilio, ours) => {
    const parsed = parseTwilioWebhook({
      MessageSid: SID,
      MessageStatus: twilio,
      SmsStatus: twilio,
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: { kind: "status", sid: SID, status: ours, twilioStatus: twilio },
    });
  });

  it("keeps the error code of an undelivered message", () => {
    const parsed = parseTwilioWebhook(
      new URLSearchParams({
        MessageSid: SID,
        MessageStatus: "undelivered",
        ErrorCode: "30003",
        To: "+919812345678",
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        kind: "status",
        sid: SID,
        status: "failed",
        twilioStatus: "undelivered",
        errorCode: "30003",
        to: "+919812345678",
      },
    });
  });

  it.each([
    ["no sid", { MessageStatus: "sent" }],
    ["a malformed sid", { MessageSid: "SM123", MessageStatus: "sent" }],
    ["an unknown status", { MessageSid: SID, MessageStatus: "teleported" }],
    ["an inbound message without Body", { MessageSid: SID, From: "+1", To: "+2" }],
    ["nothing at all", {}],
  ])("answers an error for %s, never throws", (_, form) => {
    expect(parseTwilioWebhook(form as Record<string, string>).ok).toBe(false);
  });
});
