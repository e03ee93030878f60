/**
 * The development Zoom provider (meetings in KV, join pages served by the API), the provider
 * as the app wires it (services.zoom), and the configuration rules around both.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { errorLogs } from "../../src/db/schema";
import type { ProblemBody } from "../../src/lib/problem";
import { serviceContext } from "../../src/lib/service-context";
import { createZoomProvider, DevZoomProvider, zoomFailureOf } from "../../src/providers/zoom";
import { devMeetingId } from "../../src/providers/zoom/simulate";
import { testEnv } from "../support/env";
import { waitForEnvelope } from "../support/fake-sentry";
import { Harness } from "../support/harness";
import { aMeeting, FAKE_ZOOM_CLIENT_ID, FakeZoomAccount } from "../support/zoom";

const ORIGIN = "http://api.test";
const dev = () => new DevZoomProvider({ kv: testEnv.CACHE, baseUrl: ORIGIN });
const path = (url: string) => new URL(url).pathname;
const sessionId = () => `ses_${crypto.randomUUID()}`;

describe("development provider", () => {
  it("keeps meetings in KV: another provider instance (a reload) finds them", async () => {
    const meeting = await dev().createMeeting(aMeeting());
    expect(meeting.meetingId).toMatch(/^[1-9]\d{10}$/);
    expect(meeting.joinUrl).toBe(`${ORIGIN}/dev/zoom/join/${meeting.meetingId}`);
    expect(meeting.startUrl).toBe(`${ORIGIN}/dev/zoom/start/${meeting.meetingId}`);
    expect(await dev().getMeeting(meeting.meetingId)).toEqual(meeting);
    expect(meeting).toMatchObject({
      startTime: "2026-12-01T04:30:00Z",
      durationMinutes: 90,
      timezone: "Asia/Kolkata",
    });
  });

  it("derives the meeting id from the idempotency key: the session's meeting, every time", async () => {
    const key = sessionId();
    const first = await dev().createMeeting(aMeeting({ idempotencyKey: key }));
    const again = await dev().createMeeting(aMeeting({ idempotencyKey: key, topic: "Retried" }));
    expect(again.meetingId).toBe(first.meetingId);
    expect(first.meetingId).toBe(await devMeetingId(key));
    expect(again.topic).toBe("Retried");
    const other = await dev().createMeeting(aMeeting());
    expect(other.meetingId).not.toBe(first.meetingId);
  });

  it("reschedules, and cancels idempotently", async () => {
    const { meetingId } = await dev().createMeeting(aMeeting());
    await dev().updateMeeting(meetingId, {
      startTime: "2026-12-03T11:00:00+05:30",
      durationMinutes: 45,
    });
    expect(await dev().getMeeting(meetingId)).toMatchObject({
      startTime: "2026-12-03T05:30:00Z",
      durationMinutes: 45,
      topic: "Physics: Kinematics (Batch A)",
    });
    await dev().deleteMeeting(meetingId);
    await dev().deleteMeeting(meetingId);
    expect(await dev().getMeeting(meetingId)).toBeNull();
  });

  it("fails like Zoom where the app must cope: update of an unknown meeting → 502", async () => {
    const err = await dev()
      .updateMeeting("12345678901", { topic: "x" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ status: 502, code: "EXTERNAL_SERVICE_ERROR" });
    expect(zoomFailureOf(err)).toMatchObject({ kind: "not_found", zoomCode: 3001 });
  });

  it("validates like the real adapter", async () => {
    await expect(dev().deleteMeeting("abc")).rejects.toThrow(TypeError);
    await expect(dev().createMeeting(aMeeting({ startTime: "tomorrow at ten" }))).rejects.toThrow(
      TypeError,
    );
  });
});

describe("development pages", () => {
  it("the join URL opens a page about the meeting, with input escaped", async (t) => {
    const h = await Harness.init(t);
    const meeting = await dev().createMeeting(
      aMeeting({ topic: 'Maths <script>alert("x")</script> & more' }),
    );
    const res = await h.get<string>(path(meeting.joinUrl));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.text).toContain(
      "Maths &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more",
    );
    expect(res.text).not.toContain("<script>");
    expect(res.text).toContain(meeting.meetingId);
    expect(res.text).toContain("2026-12-01T04:30:00Z");
    expect(res.text).toContain("Asia/Kolkata");
    expect(res.text).toContain(
      `npm run zoom:event -- --session ${meeting.meetingId} --event participant_joined`,
    );

    const start = await h.get<string>(path(meeting.startUrl ?? ""));
    expect(start.status, start.text).toBe(200);
    expect(start.text).toContain("host's start link");
  });

  it("shows the new time after a reschedule, and 404 after a cancel", async (t) => {
    const h = await Harness.init(t);
    const { meetingId, joinUrl } = await dev().createMeeting(aMeeting());
    await dev().updateMeeting(meetingId, { startTime: "2026-12-05T09:00:00Z" });
    expect((await h.get<string>(path(joinUrl))).text).toContain("2026-12-05T09:00:00Z");
    await dev().deleteMeeting(meetingId);
    const gone = await h.get<ProblemBody>(path(joinUrl));
    expect(gone.status, gone.text).toBe(404);
    expect(gone.body.code).toBe("NOT_FOUND");
    expect((await h.get(`/dev/zoom/join/not-a-number`)).status).toBe(404);
  });

  it("recording placeholders want a bearer token, as Zoom's downloads do", async (t) => {
    const h = await Harness.init(t);
    const { meetingId } = await dev().createMeeting(aMeeting());
    const url = `/dev/zoom/recordings/${meetingId}/${meetingId}-video`;
    expect((await h.get(url)).status).toBe(401);
    const res = await h.get<string>(url, { headers: { Authorization: "Bearer dev-token" } });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain(`meeting ${meetingId}`);
  });

  it("answer 404 like an unknown path unless ZOOM_PROVIDER is dev", async (t) => {
    const zoom = new FakeZoomAccount();
    const { meetingId } = await dev().createMeeting(aMeeting());
    const h = await Harness.init(t, {
      env: {
        ZOOM_PROVIDER: "zoom",
        ZOOM_ACCOUNT_ID: zoom.id,
        ZOOM_CLIENT_ID: FAKE_ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET: "irrelevant-here",
        ZOOM_WEBHOOK_SECRET_TOKEN: "irrelevant-here-too",
      },
    });
    const res = await h.get<ProblemBody>(`/dev/zoom/join/${meetingId}`);
    expect(res.status, res.text).toBe(404);
    expect(res.body.detail).toBe(`No route matches GET /dev/zoom/join/${meetingId}.`);
  });
});

describe("services.zoom, as the routes will use it", () => {
  const appWithZoomRoute = () => {
    const app = createApp();
    app.post("/__test/zoom-meetings", async (c) => {
      const meeting = await serviceContext(c).zoom.createMeeting(
        aMeeting({ idempotencyKey: c.req.query("session") }),
      );
      return c.json(meeting, 201);
    });
    return app;
  };

  it("dev: the join URL points at this API's own origin and opens", async (t) => {
    const h = await Harness.init(t, { app: appWithZoomRoute() });
    const session = sessionId();
    const res = await h.post<unknown, { meetingId: string; joinUrl: string }>(
      `/__test/zoom-meetings?session=${session}`,
      {},
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.meetingId).toBe(await devMeetingId(session));
    expect(res.body.joinUrl).toBe(`${ORIGIN}/dev/zoom/join/${res.body.meetingId}`);
    expect((await h.get(path(res.body.joinUrl))).status).toBe(200);
  });

  it("zoom: the real adapter against the fake", async (t) => {
    const zoom = new FakeZoomAccount();
    const h = await Harness.init(t, {
      app: appWithZoomRoute(),
      env: {
        ZOOM_PROVIDER: "zoom",
        ZOOM_ACCOUNT_ID: zoom.id,
        ZOOM_CLIENT_ID: FAKE_ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET: "fake-zoom-SECRET-9f8e7d6c5b4a3210",
        ZOOM_WEBHOOK_SECRET_TOKEN: "whsec-zoom-test",
        ZOOM_API_BASE_URL: `${zoom.url}/v2`,
        ZOOM_OAUTH_BASE_URL: zoom.url,
      },
    });
    const res = await h.post<unknown, { meetingId: string; joinUrl: string }>(
      "/__test/zoom-meetings",
      {},
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.joinUrl).toContain(`${zoom.url}/j/${res.body.meetingId}`);
    expect((await zoom.state()).meetings).toHaveLength(1);
  });

  it("zoom failing → 502 problem; the error log and Sentry get no secret", async (t) => {
    const zoom = new FakeZoomAccount();
    const secret = "wrong-zoom-SECRET-for-the-log-test";
    const h = await Harness.init(t, {
      app: appWithZoomRoute(),
      env: {
        ZOOM_PROVIDER: "zoom",
        ZOOM_ACCOUNT_ID: zoom.id,
        ZOOM_CLIENT_ID: FAKE_ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET: secret,
        ZOOM_WEBHOOK_SECRET_TOKEN: "whsec-zoom-test",
        ZOOM_API_BASE_URL: `${zoom.url}/v2`,
        ZOOM_OAUTH_BASE_URL: zoom.url,
      },
    });
    const res = await h.post<unknown, ProblemBody>("/__test/zoom-meetings", {});
    expect(res.status, res.text).toBe(502);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ code: "EXTERNAL_SERVICE_ERROR", service: "zoom" });
    expect(res.text).not.toMatch(/invalid_client|SECRET/);

    const rows = await h.db
      .select()
      .from(errorLogs)
      .where(eq(errorLogs.requestId, res.body.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.message).toMatch(/zoom token request refused \(400 invalid_client\)/);
    expect(JSON.stringify(rows)).not.toContain(secret);
    const envelopes = await waitForEnvelope(res.body.requestId);
    expect(JSON.stringify(envelopes)).not.toContain(secret);
    expect(JSON.stringify(envelopes)).not.toContain(btoa(`${FAKE_ZOOM_CLIENT_ID}:${secret}`));
  });
});

describe("createZoomProvider", () => {
  const base = {
    ZOOM_ACCOUNT_ID: undefined,
    ZOOM_CLIENT_ID: undefined,
    ZOOM_CLIENT_SECRET: undefined,
    ZOOM_API_BASE_URL: "https://api.zoom.us/v2",
    ZOOM_OAUTH_BASE_URL: "https://zoom.us",
  };

  it("zoom without credentials is a configuration error", () => {
    expect(() =>
      createZoomProvider({
        config: { ...base, ZOOM_PROVIDER: "zoom", ZOOM_ACCOUNT_ID: "a", ZOOM_CLIENT_ID: "b" },
        kv: testEnv.CACHE,
        devBaseUrl: "http://127.0.0.1:8787",
      }),
    ).toThrowError(expect.objectContaining({ code: "BAD_ENVIRONMENT" }));
  });

  it("picks the adapter for zoom and the stand-in for dev", () => {
    const zoom = createZoomProvider({
      config: {
        ...base,
        ZOOM_PROVIDER: "zoom",
        ZOOM_ACCOUNT_ID: "a",
        ZOOM_CLIENT_ID: "b",
        ZOOM_CLIENT_SECRET: "c",
      },
      kv: testEnv.CACHE,
      devBaseUrl: "http://127.0.0.1:8787",
    });
    expect(zoom.kind).toBe("zoom");
    const dev = createZoomProvider({
      config: { ...base, ZOOM_PROVIDER: "dev" },
      kv: testEnv.CACHE,
      devBaseUrl: "http://127.0.0.1:8787",
    });
    expect(dev.kind).toBe("dev");
  });
});
