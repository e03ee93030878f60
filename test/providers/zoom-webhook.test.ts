/**
 * Zoom webhook verification (signature over the raw body, 5-minute window both ways), the
 * URL-validation answer, the event schemas, and the simulated events `npm run zoom:event`
 * sends: built, signed and then verified and parsed by the same code the route will use.
 */
import { describe, expect, it } from "vitest";
import {
  parseZoomWebhook,
  signZoomWebhook,
  verifyZoomWebhook,
  ZOOM_SIGNATURE_HEADER,
  ZOOM_TIMESTAMP_HEADER,
  zoomSignature,
  zoomUrlValidationResponse,
} from "../../src/providers/zoom";
import {
  buildZoomEvent,
  devMeetingId,
  meetingIdFor,
  resolveEventName,
  SIMULATED_EVENT_NAMES,
  signedZoomWebhook,
} from "../../src/providers/zoom/simulate";

const SECRET = "zoom-secret-token-for-tests";
const NOW = Date.parse("2026-12-01T04:30:00Z");
const body = JSON.stringify({
  event: "meeting.started",
  event_ts: NOW,
  payload: { account_id: "acc", object: { id: "85746065432", uuid: "u==", host_id: "h" } },
});

async function signed(rawBody = body, at = NOW, secret = SECRET) {
  return signZoomWebhook(rawBody, secret, new Date(at));
}

describe("verifyZoomWebhook", () => {
  it("accepts a genuine delivery and returns its timestamp", async () => {
    const headers = await signed();
    expect(headers[ZOOM_TIMESTAMP_HEADER]).toBe(String(NOW / 1000));
    expect(headers[ZOOM_SIGNATURE_HEADER]).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(await verifyZoomWebhook(body, headers, SECRET, NOW)).toEqual({
      ok: true,
      timestamp: NOW / 1000,
    });
  });

  it("signs exactly v0:{timestamp}:{raw body} (independent HMAC)", async () => {
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:1764563400:${body}`)),
    );
    const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
    expect(await zoomSignature(SECRET, "1764563400", body)).toBe(`v0=${hex}`);
  });

  it("accepts Headers objects, any header case, raw bytes and an upper-case digest", async () => {
    const h = await signed();
    const bytes = new TextEncoder().encode(body);
    const upper = {
      "X-ZM-Request-Timestamp": h[ZOOM_TIMESTAMP_HEADER],
      "X-Zm-Signature": `v0=${h[ZOOM_SIGNATURE_HEADER]?.slice(3).toUpperCase()}`,
    };
    expect((await verifyZoomWebhook(bytes, new Headers(h), SECRET, NOW)).ok).toBe(true);
    expect((await verifyZoomWebhook(bytes.buffer as ArrayBuffer, upper, SECRET, NOW)).ok).toBe(
      true,
    );
  });

  it("checks the bytes as received: re-serialised JSON does not verify", async () => {
    const raw = '{"event": "meeting.started",\n "payload": {"object": {"topic": "गणित क्लास"}}}';
    const headers = await signed(raw);
    expect((await verifyZoomWebhook(raw, headers, SECRET, NOW)).ok).toBe(true);
    const reserialised = JSON.stringify(JSON.parse(raw));
    expect(await verifyZoomWebhook(reserialised, headers, SECRET, NOW)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it.for([
    ["at the edge of the past window (300 s)", -300_000, { ok: true, timestamp: NOW / 1000 - 300 }],
    ["stale (301 s old)", -301_000, { ok: false, reason: "stale" }],
    ["an hour old (a replay)", -3_600_000, { ok: false, reason: "stale" }],
    [
      "at the edge of the future window (300 s)",
      300_000,
      { ok: true, timestamp: NOW / 1000 + 300 },
    ],
    ["from the future (301 s ahead)", 301_000, { ok: false, reason: "future" }],
  ] as const)("a delivery signed %s", async ([, offset, expected]) => {
    const at = NOW + offset;
    expect(await verifyZoomWebhook(body, await signed(body, at), SECRET, NOW)).toEqual(expected);
  });

  it.for([
    [
      "a tampered body",
      async () => ({ raw: body.replace("85746065432", "85746065433"), headers: await signed() }),
      "bad_signature",
    ],
    [
      "a signature made with another secret",
      async () => ({ raw: body, headers: await signed(body, NOW, "someone-elses-secret") }),
      "bad_signature",
    ],
    [
      "a timestamp changed after signing",
      async () => {
        const h = await signed();
        return { raw: body, headers: { ...h, [ZOOM_TIMESTAMP_HEADER]: String(NOW / 1000 - 1) } };
      },
      "bad_signature",
    ],
    [
      "a signature without the v0= prefix",
      async () => {
        const h = await signed();
        return {
          raw: body,
          headers: { ...h, [ZOOM_SIGNATURE_HEADER]: h[ZOOM_SIGNATURE_HEADER]?.slice(3) },
        };
      },
      "bad_signature",
    ],
    [
      "a truncated signature",
      async () => {
        const h = await signed();
        return {
          raw: body,
          headers: { ...h, [ZOOM_SIGNATURE_HEADER]: h[ZOOM_SIGNATURE_HEADER]?.slice(0, 40) },
        };
      },
      "bad_signature",
    ],
    [
      "no signature header",
      async () => ({ raw: body, headers: { [ZOOM_TIMESTAMP_HEADER]: String(NOW / 1000) } }),
      "missing_signature",
    ],
    [
      "no timestamp header",
      async () => {
        const h = await signed();
        return { raw: body, headers: { [ZOOM_SIGNATURE_HEADER]: h[ZOOM_SIGNATURE_HEADER] } };
      },
      "missing_timestamp",
    ],
    ["no headers at all", async () => ({ raw: body, headers: {} }), "missing_signature"],
    [
      "a timestamp in milliseconds",
      async () => {
        const ts = String(NOW);
        return {
          raw: body,
          headers: {
            [ZOOM_TIMESTAMP_HEADER]: ts,
            [ZOOM_SIGNATURE_HEADER]: await zoomSignature(SECRET, ts, body),
          },
        };
      },
      "malformed_timestamp",
    ],
    [
      "a non-numeric timestamp",
      async () => ({
        raw: body,
        headers: {
          [ZOOM_TIMESTAMP_HEADER]: "1764563400.5",
          [ZOOM_SIGNATURE_HEADER]: await zoomSignature(SECRET, "1764563400.5", body),
        },
      }),
      "malformed_timestamp",
    ],
  ] as const)("rejects %s", async ([, make, reason]) => {
    const { raw, headers } = await make();
    expect(await verifyZoomWebhook(raw, headers, SECRET, NOW)).toEqual({ ok: false, reason });
  });

  it("refuses everything when no secret is configured (an empty key is public)", async () => {
    const headers = await signed(body, NOW, "any-secret");
    expect(await verifyZoomWebhook(body, headers, "", NOW)).toEqual({
      ok: false,
      reason: "no_secret",
    });
    expect(await verifyZoomWebhook(body, headers, undefined, NOW)).toEqual({
      ok: false,
      reason: "no_secret",
    });
  });
});

describe("endpoint.url_validation", () => {
  it("encryptedToken is hex HMAC-SHA256(secret, plainToken): RFC 4231 test case 2", async () => {
    // PROVIDERS.md gives the formula but no worked example; RFC 4231 §4.3 pins HMAC-SHA256.
    expect(await zoomUrlValidationResponse("what do ya want for nothing?", "Jefe")).toEqual({
      plainToken: "what do ya want for nothing?",
      encryptedToken: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    });
  });

  it("the challenge body parses and is signed like any other event", async () => {
    const challenge = await buildZoomEvent({
      event: "endpoint.url_validation",
      meetingId: "0",
      plainToken: "qgg8vlvZRS6UYooatFL8Aw",
      at: new Date(NOW),
    });
    const { rawBody, headers } = await signedZoomWebhook(challenge, SECRET, new Date(NOW));
    expect((await verifyZoomWebhook(rawBody, headers, SECRET, NOW)).ok).toBe(true);
    const parsed = parseZoomWebhook(JSON.parse(rawBody));
    expect(parsed).toMatchObject({
      ok: true,
      webhook: {
        event: "endpoint.url_validation",
        payload: { plainToken: "qgg8vlvZRS6UYooatFL8Aw" },
      },
    });
  });
});

describe("event schemas", () => {
  it("parse Zoom's participant_joined example, keeping extra fields", () => {
    // Shape from a delivery Zoom's developer forum shows (names and ids changed).
    const parsed = parseZoomWebhook({
      event: "meeting.participant_joined",
      event_ts: 1738182229511,
      payload: {
        account_id: "vExNbhTISm6eoGh0BK6Wqg",
        object: {
          uuid: "gsqg0HKxTQ2TxSVAxE9+0w==",
          participant: {
            user_id: "16790528",
            user_name: "Asha Rao",
            participant_user_id: "",
            email: " Asha.Rao@Example.IN ",
            join_time: "2025-01-29T19:40:00Z",
            participant_uuid: "67C1A429-1476-BE1C-7324-EDCA76B69406",
            customer_key: "",
          },
          id: "84712639219",
          type: 2,
          topic: "Physics",
          host_id: "BXE0adSxQRqGSP5fg1rkcA",
          duration: 60,
          start_time: "2025-01-29T19:37:35Z",
          timezone: "Asia/Kolkata",
        },
      },
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.webhook.event !== "meeting.participant_joined") throw new Error("");
    const { object } = parsed.webhook.payload;
    expect(object.id).toBe("84712639219");
    expect(object.participant.email).toBe("asha.rao@example.in");
    expect(object.participant.join_time).toBe("2025-01-29T19:40:00Z");
    expect((object.participant as Record<string, unknown>).customer_key).toBe("");
  });

  it("an empty email (a guest not signed in to Zoom) is absent, not an empty match", () => {
    const parsed = parseZoomWebhook({
      event: "meeting.participant_left",
      event_ts: 1,
      payload: {
        object: {
          id: 84712639219,
          participant: { user_name: "Guest", email: "", leave_time: "2025-01-29T20:00:00Z" },
        },
      },
    });
    if (!parsed.ok || parsed.webhook.event !== "meeting.participant_left") {
      throw new Error(JSON.stringify(parsed));
    }
    expect(parsed.webhook.payload.object.id).toBe("84712639219");
    expect(parsed.webhook.payload.object.participant.email).toBeUndefined();
  });

  it("an event the product does not handle is reported as unsupported, not invalid", () => {
    expect(parseZoomWebhook({ event: "meeting.sharing_started", payload: {} })).toEqual({
      ok: false,
      reason: "unsupported_event",
      event: "meeting.sharing_started",
    });
  });

  it.for([
    ["no event", { payload: {} }],
    [
      "a participant event without join_time",
      {
        event: "meeting.participant_joined",
        event_ts: 1,
        payload: { object: { id: "1", participant: { email: "a@b.in" } } },
      },
    ],
    [
      "a meeting id that is not digits",
      {
        event: "meeting.started",
        event_ts: 1,
        payload: { object: { id: "../admin" } },
      },
    ],
    [
      "a recording without download_url",
      {
        event: "recording.completed",
        event_ts: 1,
        payload: { object: { id: 1, recording_files: [{ file_type: "MP4" }] } },
      },
    ],
  ] as const)("%s → invalid_payload naming paths, never values", ([, payload]) => {
    const parsed = parseZoomWebhook(payload);
    expect(parsed).toMatchObject({ ok: false, reason: "invalid_payload" });
    expect(JSON.stringify(parsed)).not.toContain("../admin");
  });
});

describe("simulated events (npm run zoom:event)", () => {
  it("resolves short and full event names", () => {
    expect(resolveEventName("participant_joined")).toBe("meeting.participant_joined");
    expect(resolveEventName("left")).toBe("meeting.participant_left");
    expect(resolveEventName("recording.completed")).toBe("recording.completed");
    expect(resolveEventName("meeting.exploded")).toBeUndefined();
  });

  it("--session takes a meeting id as is, or a session id of the dev provider", async () => {
    expect(await meetingIdFor("85746065432")).toBe("85746065432");
    const id = await meetingIdFor("ses_0b5e4c1d");
    expect(id).toBe(await devMeetingId("ses_0b5e4c1d"));
    expect(id).toMatch(/^[1-9]\d{10}$/);
    expect(await devMeetingId("ses_other")).not.toBe(id);
  });

  it.for(SIMULATED_EVENT_NAMES.filter((e) => e !== "endpoint.url_validation"))(
    "%s: signed now, verified and parsed by the route's code",
    async (event) => {
      const at = new Date("2026-12-01T05:00:00Z");
      const payload = await buildZoomEvent({
        event,
        meetingId: "85746065432",
        email: "Student@Demo.in",
        name: "Demo Student",
        at,
        apiBaseUrl: "http://127.0.0.1:8787",
      });
      const { rawBody, headers } = await signedZoomWebhook(payload, SECRET);
      expect(await verifyZoomWebhook(rawBody, headers, SECRET)).toMatchObject({ ok: true });
      const parsed = parseZoomWebhook(JSON.parse(rawBody));
      expect(parsed, JSON.stringify(parsed)).toMatchObject({
        ok: true,
        webhook: { event, event_ts: at.getTime(), payload: { object: { id: "85746065432" } } },
      });
    },
  );

  it("joined and left of one person in one meeting share the participant's ids", async () => {
    const build = (event: "meeting.participant_joined" | "meeting.participant_left", at: string) =>
      buildZoomEvent({
        event,
        meetingId: "85746065432",
        email: "student@demo.in",
        at: new Date(at),
      });
    const joined = await build("meeting.participant_joined", "2026-12-01T04:31:00Z");
    const left = await build("meeting.participant_left", "2026-12-01T05:55:00Z");
    const p = (e: Record<string, unknown>) =>
      (e.payload as { object: { participant: Record<string, unknown>; uuid: string } }).object;
    expect(p(joined).participant).toMatchObject({
      email: "student@demo.in",
      user_name: "student",
      join_time: "2026-12-01T04:31:00Z",
    });
    expect(p(left).participant).toMatchObject({ leave_time: "2026-12-01T05:55:00Z" });
    expect(p(left).participant.user_id).toBe(p(joined).participant.user_id);
    expect(p(left).participant.participant_uuid).toBe(p(joined).participant.participant_uuid);
    expect(p(left).uuid).toBe(p(joined).uuid);
  });

  it("participant events need an email", async () => {
    await expect(
      buildZoomEvent({ event: "meeting.participant_joined", meetingId: "85746065432" }),
    ).rejects.toThrow(/email/);
  });
});
