/**
 * The real Zoom adapter against the local fake Zoom (token endpoint, meetings CRUD): tokens,
 * retries, timeouts and the errors the app sees.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "../../src/lib/errors";
import { createLogger } from "../../src/lib/logger";
import { parseRetryAfter, type ZoomFailureKind, zoomFailureOf } from "../../src/providers/zoom";
import { testEnv } from "../support/env";
import { aMeeting, FAKE_ZOOM_CLIENT_SECRET, FakeZoomAccount } from "../support/zoom";

async function failed(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

function expectZoom502(err: AppError, kind: ZoomFailureKind) {
  expect(err.status).toBe(502);
  expect(err.code).toBe("EXTERNAL_SERVICE_ERROR");
  expect(err.extensions).toEqual({ service: "zoom" });
  expect(zoomFailureOf(err)?.kind, zoomFailureOf(err)?.message).toBe(kind);
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

/** Records the waits instead of waiting. */
function fakeSleep() {
  const slept: number[] = [];
  return { slept, sleep: async (ms: number) => void slept.push(ms) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("meetings through the adapter", () => {
  it("creates a meeting as Zoom expects it and maps the answer", async () => {
    const zoom = new FakeZoomAccount();
    const meeting = await zoom
      .adapter()
      .createMeeting(
        aMeeting({ agenda: "Chapter 3", idempotencyKey: "ses_1", hostUserId: "teacher@coach.in" }),
      );

    const state = await zoom.state();
    expect(state.meetings).toHaveLength(1);
    const sent = state.meetings[0];
    expect(sent).toMatchObject({
      topic: "Physics: Kinematics (Batch A)",
      type: 2,
      // 10:00 in Kolkata is 04:30 UTC: Zoom gets UTC, seconds precision.
      start_time: "2026-12-01T04:30:00Z",
      duration: 90,
      timezone: "Asia/Kolkata",
      agenda: "Chapter 3",
      host_email: "teacher@coach.in",
      settings: {
        join_before_host: false,
        participant_video: false,
        mute_upon_entry: true,
        auto_recording: "cloud",
      },
    });
    expect(meeting).toEqual({
      meetingId: String(sent?.id),
      joinUrl: sent?.join_url,
      startUrl: sent?.start_url,
      password: sent?.password,
      hostEmail: "teacher@coach.in",
      topic: "Physics: Kinematics (Batch A)",
      startTime: "2026-12-01T04:30:00Z",
      durationMinutes: 90,
      timezone: "Asia/Kolkata",
    });
    expect(meeting.meetingId).toMatch(/^\d{11}$/);
    // S2S OAuth: Basic client credentials, the grant in a form body.
    expect(state.tokenRequests).toEqual([
      { authScheme: "Basic", grantIn: "body", contentType: "application/x-www-form-urlencoded" },
    ]);
  });

  it("reads, reschedules and deletes; get of an unknown meeting is null", async () => {
    const zoom = new FakeZoomAccount();
    const adapter = zoom.adapter();
    const { meetingId } = await adapter.createMeeting(aMeeting());

    await adapter.updateMeeting(meetingId, {
      startTime: "2026-12-02T06:00:00Z",
      durationMinutes: 60,
      topic: "Physics: Kinematics (moved)",
    });
    expect(await adapter.getMeeting(meetingId)).toMatchObject({
      meetingId,
      startTime: "2026-12-02T06:00:00Z",
      durationMinutes: 60,
      topic: "Physics: Kinematics (moved)",
      timezone: "Asia/Kolkata",
    });

    await adapter.deleteMeeting(meetingId);
    expect(await adapter.getMeeting(meetingId)).toBeNull();
    expect((await zoom.state()).meetings).toEqual([]);
  });

  it("delete of a meeting Zoom does not know (404 code 3001) succeeds: it is gone", async () => {
    const zoom = new FakeZoomAccount();
    const adapter = zoom.adapter();
    await adapter.deleteMeeting("98765432101");
    const { meetingId } = await adapter.createMeeting(aMeeting());
    await adapter.deleteMeeting(meetingId);
    await adapter.deleteMeeting(meetingId); // a retried cancel
    expect((await zoom.state()).calls.delete).toBe(3);
  });

  it("update of an unknown meeting → 502 with kind not_found and Zoom's code", async () => {
    const zoom = new FakeZoomAccount();
    const err = await failed(zoom.adapter().updateMeeting("98765432101", { durationMinutes: 30 }));
    expectZoom502(err, "not_found");
    expect(zoomFailureOf(err)).toMatchObject({ status: 404, zoomCode: 3001 });
  });

  it("a field Zoom refuses (400 code 300) → 502 rejected, not retried", async () => {
    const zoom = new FakeZoomAccount();
    const err = await failed(zoom.adapter().createMeeting(aMeeting({ durationMinutes: 0 })));
    expectZoom502(err, "rejected");
    expect(zoomFailureOf(err)).toMatchObject({ status: 400, zoomCode: 300 });
    // Zoom's own message (which could echo input) stays out of ours.
    expect(zoomFailureOf(err)?.message).not.toMatch(/Invalid field/);
    expect((await zoom.state()).calls.create).toBe(1);
  });

  it("malformed meeting ids and zone-less start times never reach Zoom", async () => {
    const zoom = new FakeZoomAccount();
    const adapter = zoom.adapter();
    await expect(adapter.deleteMeeting("../users/me")).rejects.toThrow(TypeError);
    await expect(adapter.updateMeeting("123/status", {})).rejects.toThrow(TypeError);
    await expect(
      adapter.createMeeting(aMeeting({ startTime: "2026-12-01T10:00:00" })),
    ).rejects.toThrow(TypeError);
    expect((await zoom.state()).calls).toEqual({
      token: 0,
      create: 0,
      get: 0,
      update: 0,
      delete: 0,
    });
  });
});

describe("access tokens", () => {
  it("fetches a token once and reuses it for every call, across provider instances", async () => {
    const zoom = new FakeZoomAccount();
    const first = zoom.adapter();
    const { meetingId } = await first.createMeeting(aMeeting());
    await first.getMeeting(meetingId);
    // A later request builds its own provider: the isolate's token is shared.
    const second = zoom.adapter();
    await second.updateMeeting(meetingId, { durationMinutes: 45 });
    await second.deleteMeeting(meetingId);
    expect((await zoom.state()).calls).toEqual({
      token: 1,
      create: 1,
      get: 1,
      update: 1,
      delete: 1,
    });
  });

  it("renews the token shortly (5 min) before expires_in, not earlier", async () => {
    const zoom = new FakeZoomAccount();
    let now = 1_000_000;
    const adapter = zoom.adapter({ clock: () => now });
    const { meetingId } = await adapter.createMeeting(aMeeting());

    now += (3600 - 301) * 1000; // 5 min 1 s before expiry: still good
    await adapter.getMeeting(meetingId);
    expect((await zoom.state()).calls.token).toBe(1);

    now += 2_000; // 4 min 59 s before expiry: renewed
    await adapter.getMeeting(meetingId);
    const state = await zoom.state();
    expect(state.calls.token).toBe(2);
    expect(state.calls.get).toBe(2);
  });

  it("concurrent callers share one token request", async () => {
    const zoom = new FakeZoomAccount();
    // A slow token endpoint, so every caller arrives while the request is in flight.
    await zoom.fault({ op: "token", delayMs: 300 });
    const adapter = zoom.adapter();
    const other = zoom.adapter();
    const meetings = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? adapter : other).createMeeting(aMeeting({ topic: `Class ${i}` })),
      ),
    );
    expect(new Set(meetings.map((m) => m.meetingId)).size).toBe(8);
    const state = await zoom.state();
    expect(state.calls.token).toBe(1);
    expect(state.tokenRequests).toHaveLength(1);
    expect(state.calls.create).toBe(8);
  });

  it("a 401 (revoked token) drops the token and retries once with a fresh one", async () => {
    const zoom = new FakeZoomAccount();
    const adapter = zoom.adapter();
    const { meetingId } = await adapter.createMeeting(aMeeting());
    await zoom.revokeTokens();

    expect(await adapter.getMeeting(meetingId)).toMatchObject({ meetingId });
    const state = await zoom.state();
    expect(state.calls.token).toBe(2);
    expect(state.calls.get).toBe(2);
  });

  it("a token Zoom says expired before our clock does is renewed on the 401", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.tokenTtl(1);
    const now = Date.now();
    const adapter = zoom.adapter({ clock: () => now }); // our clock stands still
    const { meetingId } = await adapter.createMeeting(aMeeting());
    await new Promise((r) => setTimeout(r, 1_100));
    await zoom.tokenTtl(3600);

    await adapter.deleteMeeting(meetingId);
    const state = await zoom.state();
    expect(state.meetings).toEqual([]);
    expect(state.calls).toMatchObject({ token: 2, delete: 2 });
  });

  it("a 401 that persists with a fresh token → 502 auth after exactly one retry", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "get", status: 401, times: -1 });
    const err = await failed(zoom.adapter().getMeeting("12345678901"));
    expectZoom502(err, "auth");
    expect((await zoom.state()).calls).toMatchObject({ token: 2, get: 2 });
  });

  it("wrong client credentials → 502 auth naming the OAuth error, never the secret", async () => {
    const zoom = new FakeZoomAccount();
    const wrong = "wrong-SECRET-value-5a4b3c2d1e";
    const err = await failed(zoom.adapter({ clientSecret: wrong }).createMeeting(aMeeting()));
    expectZoom502(err, "auth");
    expect(zoomFailureOf(err)?.message).toMatch(/400 invalid_client/);
    expect(everythingIn(err)).not.toContain(wrong);
    expect((await zoom.state()).meetings).toEqual([]);
  });

  it("a rate-limited token endpoint is waited out like the API", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "token", status: 429, retryAfter: "2" });
    const { slept, sleep } = fakeSleep();
    await zoom.adapter({ sleep }).createMeeting(aMeeting());
    expect(slept).toEqual([2_000]);
    expect((await zoom.state()).meetings).toHaveLength(1);
  });
});

describe("rate limits (429)", () => {
  it("honours Retry-After (seconds) and then succeeds", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", status: 429, retryAfter: "3", times: 2 });
    const { slept, sleep } = fakeSleep();
    const meeting = await zoom.adapter({ sleep }).createMeeting(aMeeting());
    expect(slept).toEqual([3_000, 3_000]);
    const state = await zoom.state();
    expect(state.calls.create).toBe(3);
    expect(state.meetings.map((m) => String(m.id))).toEqual([meeting.meetingId]);
  });

  it("really waits: one 429 with Retry-After: 1, then success", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "update", status: 429, retryAfter: "1" });
    const adapter = zoom.adapter();
    const { meetingId } = await adapter.createMeeting(aMeeting());
    const started = Date.now();
    await adapter.updateMeeting(meetingId, { durationMinutes: 30 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect((await zoom.state()).calls.update).toBe(2);
  });

  it("without Retry-After backs off exponentially with jitter", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "get", status: 429, times: 3 });
    const { slept, sleep } = fakeSleep();
    expect(await zoom.adapter({ sleep }).getMeeting("12345678901")).toBeNull();
    expect(slept).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = slept;
    expect(a).toBeGreaterThanOrEqual(125);
    expect(a).toBeLessThanOrEqual(250);
    expect(b).toBeGreaterThanOrEqual(250);
    expect(b).toBeLessThanOrEqual(500);
    expect(c).toBeGreaterThanOrEqual(500);
    expect(c).toBeLessThanOrEqual(1_000);
  });

  it("429 forever → 502 rate_limited within the wait budget", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", status: 429, retryAfter: "1", times: -1 });
    const started = Date.now();
    const err = await failed(zoom.adapter({ maxRateLimitWaitMs: 2_500 }).createMeeting(aMeeting()));
    const elapsed = Date.now() - started;
    expectZoom502(err, "rate_limited");
    // Two 1 s waits fit in 2.5 s, a third does not: give up instead of waiting for it.
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(4_000);
    const state = await zoom.state();
    expect(state.calls.create).toBe(3);
    expect(state.meetings).toEqual([]);
  });

  it("429 forever with an instant sleep still stops after maxAttempts", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", status: 429, retryAfter: "0", times: -1 });
    const { sleep } = fakeSleep();
    const err = await failed(zoom.adapter({ sleep, maxAttempts: 4 }).createMeeting(aMeeting()));
    expectZoom502(err, "rate_limited");
    expect((await zoom.state()).calls.create).toBe(4);
  });

  it("a daily limit (Retry-After at midnight UTC) fails at once instead of waiting", async () => {
    const zoom = new FakeZoomAccount();
    const midnight = new Date(Date.now() + 6 * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    await zoom.fault({ op: "create", status: 429, retryAfter: midnight });
    const { slept, sleep } = fakeSleep();
    const err = await failed(zoom.adapter({ sleep }).createMeeting(aMeeting()));
    expectZoom502(err, "rate_limited");
    expect(zoomFailureOf(err)?.retryAfterMs).toBeGreaterThan(5 * 3_600_000);
    expect(slept).toEqual([]);
    expect((await zoom.state()).calls.create).toBe(1);
  });

  it.for([
    ["3", 3_000],
    [" 0 ", 0],
    ["Wed, 21 Oct 2015 07:28:05 GMT", 5_000],
    ["2015-10-21T07:28:05Z", 5_000],
    ["2015-10-21T07:27:00Z", 0],
    ["soon", undefined],
    ["", undefined],
  ] as const)("parseRetryAfter(%j) → %j ms", ([value, expected]) => {
    expect(parseRetryAfter(value, Date.parse("2015-10-21T07:28:00Z"))).toBe(expected);
  });
});

describe("failures → 502 EXTERNAL_SERVICE_ERROR", () => {
  it("a 500 is not retried (a create might exist): 502 server", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", status: 500 });
    const err = await failed(zoom.adapter().createMeeting(aMeeting()));
    expectZoom502(err, "server");
    expect((await zoom.state()).calls.create).toBe(1);
  });

  it("a slow API → 502 timeout after the per-request timeout, not retried", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", delayMs: 3_000 });
    const started = Date.now();
    const err = await failed(zoom.adapter({ timeoutMs: 300 }).createMeeting(aMeeting()));
    expect(Date.now() - started).toBeLessThan(2_000);
    expectZoom502(err, "timeout");
    expect(zoomFailureOf(err)?.message).toMatch(/no answer within 300 ms/);
    expect((await zoom.state()).calls.create).toBe(1);
  });

  it("a slow token endpoint → 502 timeout", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "token", delayMs: 3_000 });
    const err = await failed(zoom.adapter({ timeoutMs: 300 }).getMeeting("12345678901"));
    expectZoom502(err, "timeout");
  });

  it("the operation's deadline bounds everything, waits included", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "get", status: 429, retryAfter: "1", delayMs: 400, times: -1 });
    const started = Date.now();
    const err = await failed(
      zoom
        .adapter({ deadlineMs: 1_500, maxRateLimitWaitMs: 60_000, maxAttempts: 99 })
        .getMeeting("12345678901"),
    );
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(["rate_limited", "timeout"]).toContain(zoomFailureOf(err)?.kind);
  });

  it("a 2xx without the promised fields → 502 bad_response", async () => {
    const zoom = new FakeZoomAccount();
    await zoom.fault({ op: "create", status: 201 });
    const err = await failed(zoom.adapter().createMeeting(aMeeting()));
    expectZoom502(err, "bad_response");
  });

  // workerd logs its own "Connection refused" line here: expected.
  it("an unreachable Zoom → 502 unreachable", async () => {
    const zoom = new FakeZoomAccount();
    const closed = `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}`;
    const err = await failed(
      zoom.adapter({ oauthBaseUrl: closed, apiBaseUrl: `${closed}/v2` }).createMeeting(aMeeting()),
    );
    expectZoom502(err, "unreachable");
  });
});

describe("secrets stay secret", () => {
  it("no client secret, Basic credential or access token in any error or log line", async () => {
    const zoom = new FakeZoomAccount();
    const lines: string[] = [];
    for (const level of ["info", "warn", "error", "debug", "log"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const logger = createLogger("debug", { requestId: "zoom-secrets" });
    const { sleep } = fakeSleep();
    const adapter = zoom.adapter({ logger, sleep, timeoutMs: 300 });
    const { meetingId } = await adapter.createMeeting(aMeeting());
    await zoom.revokeTokens();
    await adapter.getMeeting(meetingId); // a 401 and a renewal

    const errors: unknown[] = [];
    const attempt = (p: Promise<unknown>) => p.catch((e: unknown) => void errors.push(e));
    await zoom.fault({ op: "get", status: 401, times: 2 });
    await attempt(adapter.getMeeting(meetingId));
    await zoom.fault({ op: "update", status: 429, retryAfter: "1", times: 9 });
    await attempt(adapter.updateMeeting(meetingId, { durationMinutes: 20 }));
    await zoom.fault({ op: "create", status: 500 });
    await attempt(adapter.createMeeting(aMeeting()));
    await zoom.fault({ op: "delete", delayMs: 1_000 });
    await attempt(adapter.deleteMeeting(meetingId));
    await attempt(adapter.updateMeeting("98765432101", { topic: "x" }));
    await attempt(zoom.adapter({ logger, clientSecret: "wrong-secret-abc" }).getMeeting("1"));
    expect(errors).toHaveLength(6);

    const state = await zoom.state();
    expect(state.tokens.length).toBeGreaterThanOrEqual(3);
    const basic = btoa(`fake_zoom_client_id_0123:${FAKE_ZOOM_CLIENT_SECRET}`);
    const seen = [...lines, ...errors.map(everythingIn)].join("\n");
    expect(lines.some((l) => l.includes("zoom request failed"))).toBe(true);
    for (const secret of [FAKE_ZOOM_CLIENT_SECRET, "wrong-secret-abc", basic, ...state.tokens]) {
      expect(seen).not.toContain(secret);
    }
  });
});
