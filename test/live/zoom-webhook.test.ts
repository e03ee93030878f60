/**
 * POST /v1/webhooks/zoom through the mounted app and real Postgres: verification on the raw
 * body, URL validation, exactly-once effects, session status, attendance intervals (and what
 * batch_attendance makes of them), recordings without download tokens.
 */
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceIntervals, classSessions, recordings, webhookEvents } from "../../src/db/schema";
import { zoomUrlValidationResponse } from "../../src/providers/zoom";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";
import { postDelivery, sendZoomEvent, zoomDelivery } from "../support/live";

const MIN = 60_000;

async function setup(
  h: Harness,
  opts: { startsAt?: Date; status?: "scheduled" | "cancelled" } = {},
) {
  const course = await insertCourse(h.database, { pricePaise: 0 });
  const batch = await insertBatch(h.database, course.id);
  const startsAt = opts.startsAt ?? new Date(Math.floor((Date.now() - 3 * 60 * MIN) / MIN) * MIN);
  const session = await insertSession(h.database, batch.id, {
    startsAt,
    durationMinutes: 60,
    status: opts.status,
  });
  return { batchId: batch.id, session, startsAt, meetingId: session.zoomMeetingId };
}

async function counts(h: Harness, sessionId: string) {
  const [row] = (
    await h.db.execute<{ events: number; intervals: number; recs: number; status: string }>(
      sql`select (select count(*) from webhook_events)::int as events,
                 (select count(*) from attendance_intervals where session_id = ${sessionId})::int as intervals,
                 (select count(*) from recordings where session_id = ${sessionId})::int as recs,
                 (select status from class_sessions where id = ${sessionId}) as status`,
    )
  ).rows;
  return row;
}

const intervalsOf = (h: Harness, sessionId: string) =>
  h.db
    .select()
    .from(attendanceIntervals)
    .where(eq(attendanceIntervals.sessionId, sessionId))
    .orderBy(asc(attendanceIntervals.joinedAt));

async function attendance(h: Harness, batchId: string) {
  return (
    await h.db.execute<{
      user_id: string;
      attended_seconds: string;
      held_seconds: string;
      percent: number | null;
    }>(sql`select * from batch_attendance(${batchId})`)
  ).rows.map((r) => ({
    userId: r.user_id,
    attended: Number(r.attended_seconds),
    held: Number(r.held_seconds),
    percent: r.percent,
  }));
}

describe("POST /v1/webhooks/zoom: verification", () => {
  const cases: [
    string,
    (h: Harness, meetingId: string) => Promise<Parameters<typeof postDelivery>[1]>,
  ][] = [
    [
      "unsigned",
      async (h, meetingId) => {
        const d = await zoomDelivery(h, { event: "meeting.started", meetingId });
        return { rawBody: d.rawBody, headers: { "content-type": "application/json" } };
      },
    ],
    [
      "signed with another secret",
      (h, meetingId) =>
        zoomDelivery(h, { event: "meeting.started", meetingId }, { secret: "not-the-secret" }),
    ],
    [
      "a body changed after signing",
      async (h, meetingId) => {
        const d = await zoomDelivery(h, { event: "meeting.started", meetingId });
        return { ...d, rawBody: d.rawBody.replace('"Live class"', '"Live klass"') };
      },
    ],
    [
      "signed more than 5 minutes ago",
      (h, meetingId) =>
        zoomDelivery(
          h,
          { event: "meeting.started", meetingId },
          { signedAt: new Date(Date.now() - 6 * MIN) },
        ),
    ],
    [
      "signed more than 5 minutes ahead",
      (h, meetingId) =>
        zoomDelivery(
          h,
          { event: "meeting.started", meetingId },
          { signedAt: new Date(Date.now() + 6 * MIN) },
        ),
    ],
  ];

  it.for(cases)("%s → 401 problem, nothing changes", async ([, make], t) => {
    const h = await Harness.init(t);
    const { session, meetingId } = await setup(h);
    const before = await counts(h, session.id);
    const res = await postDelivery(h, await make(h, meetingId));
    expect(res.status, res.text).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe("UNAUTHENTICATED");
    // Rejected before the limiter: no rate-limit headers.
    expect(res.headers.get("RateLimit-Policy")).toBeNull();
    expect(await counts(h, session.id)).toEqual(before);
    expect(before?.status).toBe("scheduled");
  });

  it("answers endpoint.url_validation with the HMAC of the plain token (signed too)", async (t) => {
    const h = await Harness.init(t);
    const res = await sendZoomEvent(h, {
      event: "endpoint.url_validation",
      meetingId: "0",
      plainToken: "qgg8vlvZRS6UYooatFL8Aw",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(
      await zoomUrlValidationResponse("qgg8vlvZRS6UYooatFL8Aw", h.env.ZOOM_WEBHOOK_SECRET_TOKEN),
    );
    const unsigned = await postDelivery(h, {
      rawBody: JSON.stringify({
        event: "endpoint.url_validation",
        payload: { plainToken: "qgg8vlvZRS6UYooatFL8Aw" },
      }),
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status, unsigned.text).toBe(401);
  });

  it("acknowledges and ignores events it does not handle, and meetings no session has", async (t) => {
    const h = await Harness.init(t);
    const { session } = await setup(h);
    const body = { event: "meeting.sharing_started", event_ts: Date.now(), payload: {} };
    const { signedZoomWebhook } = await import("../../src/providers/zoom/simulate");
    const other = await postDelivery(
      h,
      await signedZoomWebhook(body, h.env.ZOOM_WEBHOOK_SECRET_TOKEN),
    );
    expect(other.status, other.text).toBe(200);
    expect(other.body).toEqual({ outcome: "ignored" });
    const unknown = await sendZoomEvent(h, { event: "meeting.started", meetingId: "12345678901" });
    expect(unknown.status, unknown.text).toBe(200);
    expect(unknown.body).toEqual({ outcome: "unknown_meeting" });
    expect((await counts(h, session.id))?.status).toBe("scheduled");
    expect(unknown.headers.get("RateLimit-Policy")).toMatch(/^"webhook"/);
  });
});

describe("POST /v1/webhooks/zoom: meetings", () => {
  it("meeting.started makes the session live, meeting.ended ends it and closes open intervals", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const started = await sendZoomEvent(h, { event: "meeting.started", meetingId, at: startsAt });
    expect(started.status, started.text).toBe(200);
    expect(started.body).toEqual({ outcome: "applied" });
    let [row] = await h.db.select().from(classSessions).where(eq(classSessions.id, session.id));
    expect(row?.status).toBe("live");
    expect(row?.startedAt?.toISOString()).toBe(startsAt.toISOString());

    await sendZoomEvent(h, {
      event: "meeting.participant_joined",
      meetingId,
      email: "someone@example.in",
      at: new Date(startsAt.getTime() + 5 * MIN),
    });
    const end = new Date(startsAt.getTime() + 60 * MIN);
    const ended = await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: end });
    expect(ended.body).toEqual({ outcome: "applied" });
    [row] = await h.db.select().from(classSessions).where(eq(classSessions.id, session.id));
    expect(row?.status).toBe("ended");
    expect(row?.endedAt?.toISOString()).toBe(end.toISOString());
    const intervals = await intervalsOf(h, session.id);
    expect(intervals).toHaveLength(1);
    expect(intervals[0]?.leftAt?.toISOString()).toBe(end.toISOString());
  });

  it("a scheduled session whose start was missed goes straight to ended", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const end = new Date(startsAt.getTime() + 60 * MIN);
    await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: end });
    const [row] = await h.db.select().from(classSessions).where(eq(classSessions.id, session.id));
    expect(row?.status).toBe("ended");
    expect(row?.startedAt?.toISOString()).toBe(startsAt.toISOString());
  });

  it("a cancelled session ignores every event", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h, { status: "cancelled" });
    const before = await counts(h, session.id);
    for (const event of ["meeting.started", "meeting.participant_joined"] as const) {
      const res = await sendZoomEvent(h, {
        event,
        meetingId,
        email: "a@example.in",
        at: startsAt,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ outcome: "cancelled_session" });
    }
    const after = await counts(h, session.id);
    expect(after?.status).toBe("cancelled");
    expect(after?.intervals).toBe(0);
    expect(after?.events).toBe((before?.events ?? 0) + 2);
  });
});

describe("POST /v1/webhooks/zoom: exactly once", () => {
  it("the same delivery posted twice, and ten times at once, has one effect", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const eventsBefore = (await counts(h, session.id))?.events ?? 0;
    const join = await zoomDelivery(h, {
      event: "meeting.participant_joined",
      meetingId,
      email: "twice@example.in",
      at: startsAt,
    });
    const first = await postDelivery(h, join);
    const again = await postDelivery(h, join);
    expect(first.body).toEqual({ outcome: "applied" });
    expect(again.body).toEqual({ outcome: "duplicate" });

    const leave = await zoomDelivery(h, {
      event: "meeting.participant_left",
      meetingId,
      email: "twice@example.in",
      at: new Date(startsAt.getTime() + 10 * MIN),
    });
    const burst = await Promise.all(Array.from({ length: 10 }, () => postDelivery(h, leave)));
    expect(burst.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(burst.filter((r) => r.body.outcome === "applied")).toHaveLength(1);
    expect(burst.filter((r) => r.body.outcome === "duplicate")).toHaveLength(9);

    const intervals = await intervalsOf(h, session.id);
    expect(intervals).toHaveLength(1);
    expect(intervals[0]?.leftAt?.toISOString()).toBe(
      new Date(startsAt.getTime() + 10 * MIN).toISOString(),
    );
    expect((await counts(h, session.id))?.events).toBe(eventsBefore + 2);
    const keys = await h.db.select().from(webhookEvents);
    expect(keys.every((k) => /^[0-9a-f]{64}$/.test(k.eventKey))).toBe(true);
  });

  it("a class joining at once from one address: every delivery applied, none limited", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const joins = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        sendZoomEvent(h, {
          event: "meeting.participant_joined",
          meetingId,
          email: `student${i}@example.in`,
          at: new Date(startsAt.getTime() + i * 1000),
        }),
      ),
    );
    expect(joins.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(joins.every((r) => r.body.outcome === "applied")).toBe(true);
    expect(await intervalsOf(h, session.id)).toHaveLength(25);
  });

  it("distinct events of one participant do not collide: join, leave, rejoin, leave", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const at = (m: number) => new Date(startsAt.getTime() + m * MIN);
    const email = "again@example.in";
    for (const [event, m] of [
      ["meeting.participant_joined", 0],
      ["meeting.participant_left", 20],
      ["meeting.participant_joined", 30],
      ["meeting.participant_left", 60],
    ] as const) {
      const res = await sendZoomEvent(h, { event, meetingId, email, at: at(m) });
      expect(res.body, res.text).toEqual({ outcome: "applied" });
    }
    const intervals = await intervalsOf(h, session.id);
    expect(intervals.map((i) => [i.joinedAt.getTime(), i.leftAt?.getTime()])).toEqual([
      [at(0).getTime(), at(20).getTime()],
      [at(30).getTime(), at(60).getTime()],
    ]);
  });
});

describe("POST /v1/webhooks/zoom: attendance", () => {
  it("join 0–20 and rejoin 30–60 of a 60-minute class count 50 minutes (83%)", async (t) => {
    const h = await Harness.init(t);
    const { batchId, session, startsAt, meetingId } = await setup(h);
    const student = await h.createUser({
      email: `Asha.${crypto.randomUUID().slice(0, 6)}@example.in`.toLowerCase(),
    });
    await insertEnrolment(h.database, student.id, batchId, { status: "active" });
    const at = (m: number) => new Date(startsAt.getTime() + m * MIN);
    // Zoom sends whatever case the participant typed.
    const email = student.email.toUpperCase();
    await sendZoomEvent(h, { event: "meeting.started", meetingId, at: at(0) });
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(0) });
    await sendZoomEvent(h, { event: "meeting.participant_left", meetingId, email, at: at(20) });
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(30) });
    // Still in the class when it ends: meeting.ended closes the interval.
    await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: at(60) });

    const intervals = await intervalsOf(h, session.id);
    expect(intervals.every((i) => i.userId === student.id)).toBe(true);
    expect(await attendance(h, batchId)).toEqual([
      { userId: student.id, attended: 50 * 60, held: 60 * 60, percent: 83 },
    ]);
  });

  it("unknown participants and students without an active enrolment are kept apart, not credited", async (t) => {
    const h = await Harness.init(t);
    const { batchId, session, startsAt, meetingId } = await setup(h);
    const enrolled = await h.asStudent();
    const pending = await h.asStudent();
    const elsewhere = await h.asStudent();
    await insertEnrolment(h.database, enrolled.id, batchId, { status: "active" });
    await insertEnrolment(h.database, pending.id, batchId, {
      status: "pending_payment",
      pricePaise: 0,
    });
    const at = (m: number) => new Date(startsAt.getTime() + m * MIN);
    for (const email of [enrolled.email, pending.email, elsewhere.email, "guest@example.in"]) {
      await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(0) });
      await sendZoomEvent(h, { event: "meeting.participant_left", meetingId, email, at: at(45) });
    }
    await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: at(60) });

    const intervals = await intervalsOf(h, session.id);
    expect(intervals).toHaveLength(4);
    const byEmail = new Map(intervals.map((i) => [i.email, i]));
    expect(byEmail.get(enrolled.email)?.userId).toBe(enrolled.id);
    for (const email of [pending.email, elsewhere.email, "guest@example.in"]) {
      expect(byEmail.get(email)?.userId, email).toBeNull();
      expect(byEmail.get(email)?.displayName).toBeTruthy();
    }
    const rows = await attendance(h, batchId);
    expect(rows.find((r) => r.userId === enrolled.id)?.percent).toBe(75);
    expect(rows.find((r) => r.userId === pending.id)?.attended).toBe(0);
  });

  it("out of order: a left before its joined, and a repeated joined, never double count", async (t) => {
    const h = await Harness.init(t);
    const { batchId, session, startsAt, meetingId } = await setup(h);
    const student = await h.asStudent();
    await insertEnrolment(h.database, student.id, batchId, { status: "active" });
    const at = (m: number) => new Date(startsAt.getTime() + m * MIN);
    const email = student.email;
    await sendZoomEvent(h, { event: "meeting.started", meetingId, at: at(0) });
    // The leave arrives first (its join is being retried): a zero-length interval, no credit.
    const left = await sendZoomEvent(h, {
      event: "meeting.participant_left",
      meetingId,
      email,
      at: at(40),
    });
    expect(left.status, left.text).toBe(200);
    let intervals = await intervalsOf(h, session.id);
    expect(intervals.map((i) => [i.joinedAt.getTime(), i.leftAt?.getTime()])).toEqual([
      [at(40).getTime(), at(40).getTime()],
    ]);
    // The late join completes it.
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(10) });
    // A second join while inside (a missed leave): no second open interval.
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(45) });
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(50) });
    await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: at(60) });
    intervals = await intervalsOf(h, session.id);
    expect(intervals.map((i) => [i.joinedAt.getTime(), i.leftAt?.getTime()])).toEqual([
      [at(10).getTime(), at(40).getTime()],
      [at(45).getTime(), at(60).getTime()],
    ]);
    expect((await attendance(h, batchId))[0]?.attended).toBe(45 * 60);
  });

  it("a left delivered after meeting.ended shortens the interval the end closed", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const at = (m: number) => new Date(startsAt.getTime() + m * MIN);
    const email = "late@example.in";
    await sendZoomEvent(h, { event: "meeting.participant_joined", meetingId, email, at: at(0) });
    await sendZoomEvent(h, { event: "meeting.ended", meetingId, at: at(60) });
    await sendZoomEvent(h, { event: "meeting.participant_left", meetingId, email, at: at(50) });
    const intervals = await intervalsOf(h, session.id);
    expect(intervals.map((i) => [i.joinedAt.getTime(), i.leftAt?.getTime()])).toEqual([
      [at(0).getTime(), at(50).getTime()],
    ]);
  });
});

describe("POST /v1/webhooks/zoom: recordings", () => {
  it("recording.completed stores the recording without download tokens, once per meeting instance", async (t) => {
    const h = await Harness.init(t);
    const { session, startsAt, meetingId } = await setup(h);
    const end = new Date(startsAt.getTime() + 60 * MIN);
    const d = await zoomDelivery(h, {
      event: "recording.completed",
      meetingId,
      at: end,
      topic: "Kinematics, part 2",
    });
    const token = (JSON.parse(d.rawBody) as { download_token: string }).download_token;
    expect(token).toBeTruthy();
    const res = await postDelivery(h, d);
    expect(res.body, res.text).toEqual({ outcome: "applied" });
    expect((await postDelivery(h, d)).body).toEqual({ outcome: "duplicate" });
    // Zoom re-sends for the same instance (new event_ts): updates, never a second row.
    const later = await zoomDelivery(h, {
      event: "recording.completed",
      meetingId,
      at: new Date(end.getTime() + 1000),
      topic: "Kinematics, part 2",
    });
    expect((await postDelivery(h, later)).body).toEqual({ outcome: "applied" });

    const rows = await h.db.select().from(recordings).where(eq(recordings.sessionId, session.id));
    expect(rows).toHaveLength(1);
    const [rec] = rows;
    expect(rec?.title).toBe("Kinematics, part 2");
    expect(rec?.durationMinutes).toBe(60);
    expect(rec?.playUrl).toContain(`/dev/zoom/join/${meetingId}`);
    expect(rec?.files.map((f) => [f.fileType, f.recordingType])).toEqual([
      ["MP4", "shared_screen_with_speaker_view"],
      ["M4A", "audio_only"],
    ]);
    expect(rec?.files[0]).toMatchObject({ fileSizeBytes: 48_000_000 });
    const stored = JSON.stringify(rec);
    expect(stored).not.toContain(token);
    expect(stored).not.toMatch(/download/i);
  });
});
