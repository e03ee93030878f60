/**
 * A student's side of live classes: the schedule (active enrolments only, a bounded window, no
 * join URLs) and the join URL (enrolled, inside the window; the same 404 for everyone else).
 */
import { describe, expect, it } from "vitest";
import type { ScheduleEntry } from "../../src/domains/sessions/schemas";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";

const MIN = 60_000;
const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.now() + ms);

interface Problem {
  code: string;
  status: number;
  opensAt?: string;
  closesAt?: string | null;
}

async function setup(t: Parameters<typeof Harness.init>[0]) {
  const h = await Harness.init(t);
  const course = await insertCourse(h.database, { title: "JEE Physics" });
  const batch = await insertBatch(h.database, course.id, { name: "Morning" });
  const other = await insertBatch(h.database, course.id, { name: "Evening" });
  const student = await h.asStudent();
  await insertEnrolment(h.database, student.id, batch.id);
  return { h, course, batch, other, student };
}

describe("GET /v1/me/schedule", () => {
  it("lists the classes of active enrolments only, in time order, without join URLs", async (t) => {
    const { h, course, batch, other, student } = await setup(t);
    const pendingBatch = await insertBatch(h.database, course.id, { name: "Pending" });
    await insertEnrolment(h.database, student.id, pendingBatch.id, { status: "pending_payment" });
    const later = await insertSession(h.database, batch.id, {
      title: "Later",
      startsAt: at(2 * DAY),
    });
    const soon = await insertSession(h.database, batch.id, {
      title: "Soon",
      startsAt: at(10 * MIN),
    });
    const cancelled = await insertSession(h.database, batch.id, {
      title: "Off",
      startsAt: at(DAY),
      status: "cancelled",
    });
    await insertSession(h.database, other.id, { title: "Other batch" });
    await insertSession(h.database, pendingBatch.id, { title: "Not paid" });
    await insertSession(h.database, batch.id, { title: "Too far", startsAt: at(90 * DAY) });

    const res = await h.get<{ data: ScheduleEntry[]; from: string; to: string }>(
      "/v1/me/schedule",
      { headers: student.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((e) => e.id)).toEqual([soon.id, cancelled.id, later.id]);
    expect(res.body.data[0]).toMatchObject({
      title: "Soon",
      status: "scheduled",
      joinable: true,
      timezone: "Asia/Kolkata",
      batch: { id: batch.id, name: "Morning" },
      course: { id: course.id, title: "JEE Physics" },
    });
    expect(res.body.data[1]).toMatchObject({ status: "cancelled", joinable: false });
    expect(res.body.data[2]?.joinable).toBe(false);
    expect(res.text).not.toMatch(/zoom|join_?url|pwd/i);
    expect(res.headers.get("Cache-Control")).toContain("no-store");
  });

  it("a user with no enrolment (an admin too) gets an empty schedule", async (t) => {
    const { h, batch } = await setup(t);
    await insertSession(h.database, batch.id);
    const admin = await h.asAdmin();
    const res = await h.get<{ data: unknown[] }>("/v1/me/schedule", { headers: admin.auth });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  it("takes a window; reversed or longer than 180 days → 400; needs a token", async (t) => {
    const { h, batch, student } = await setup(t);
    const s = await insertSession(h.database, batch.id, { startsAt: at(100 * DAY) });
    const q = (from: Date, to: Date) =>
      `/v1/me/schedule?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const wide = await h.get<{ data: ScheduleEntry[] }>(q(at(0), at(180 * DAY)), {
      headers: student.auth,
    });
    expect(wide.status, wide.text).toBe(200);
    expect(wide.body.data.map((e) => e.id)).toEqual([s.id]);
    for (const [from, to] of [
      [at(0), at(180 * DAY + MIN)],
      [at(DAY), at(0)],
    ] as const) {
      const res = await h.get<Problem>(q(from, to), { headers: student.auth });
      expect(res.status, res.text).toBe(400);
    }
    expect((await h.get("/v1/me/schedule?from=yesterday", { headers: student.auth })).status).toBe(
      400,
    );
    expect((await h.get("/v1/me/schedule")).status).toBe(401);
  });
});

describe("GET /v1/sessions/{id}/join", () => {
  const join = (h: Harness, id: string, auth?: { Authorization: string }) =>
    h.get<{ joinUrl: string } & Problem>(`/v1/sessions/${id}/join`, { headers: auth ?? {} });

  it("opens 15 minutes before the start and closes at the end", async (t) => {
    const { h, batch, student } = await setup(t);
    const justOpen = await insertSession(h.database, batch.id, { startsAt: at(15 * MIN - 5_000) });
    const notYet = await insertSession(h.database, batch.id, { startsAt: at(15 * MIN + 5_000) });
    const lastMoment = await insertSession(h.database, batch.id, {
      startsAt: at(-60 * MIN + 5_000),
      durationMinutes: 60,
    });
    const over = await insertSession(h.database, batch.id, {
      startsAt: at(-60 * MIN - 1_000),
      durationMinutes: 60,
    });
    const endedEarly = await insertSession(h.database, batch.id, {
      startsAt: at(-10 * MIN),
      status: "ended",
      startedAt: at(-10 * MIN),
      endedAt: at(-MIN),
    });
    const overrunning = await insertSession(h.database, batch.id, {
      startsAt: at(-70 * MIN),
      durationMinutes: 60,
      status: "live",
      startedAt: at(-70 * MIN),
    });

    const open = await join(h, justOpen.id, student.auth);
    expect(open.status, open.text).toBe(200);
    expect(open.body.joinUrl).toMatch(/^https:\/\/zoom\.example\/j\//);
    expect(open.headers.get("Cache-Control")).toContain("no-store");
    expect((await join(h, lastMoment.id, student.auth)).status).toBe(200);
    expect((await join(h, overrunning.id, student.auth)).status).toBe(200);

    const early = await join(h, notYet.id, student.auth);
    expect(early.status, early.text).toBe(409);
    expect(Date.parse(early.body.opensAt ?? "")).toBeGreaterThan(Date.now());
    expect(early.text).not.toContain("zoom.example");
    for (const s of [over, endedEarly]) {
      const res = await join(h, s.id, student.auth);
      expect(res.status, res.text).toBe(409);
      expect(res.body.closesAt).toBeTruthy();
    }
  });

  it("everyone else gets the same 404: other batch, pending, cancelled, unknown", async (t) => {
    const { h, course, batch, other, student } = await setup(t);
    const open = { startsAt: at(5 * MIN) };
    const otherBatch = await insertSession(h.database, other.id, open);
    const cancelled = await insertSession(h.database, batch.id, { ...open, status: "cancelled" });
    const pendingBatch = await insertBatch(h.database, course.id);
    await insertEnrolment(h.database, student.id, pendingBatch.id, { status: "pending_payment" });
    const unpaid = await insertSession(h.database, pendingBatch.id, open);
    const mine = await insertSession(h.database, batch.id, open);
    const stranger = await h.asStudent();

    const answers = await Promise.all([
      join(h, otherBatch.id, student.auth),
      join(h, cancelled.id, student.auth),
      join(h, unpaid.id, student.auth),
      join(h, "00000000-0000-4000-8000-000000000009", student.auth),
      join(h, mine.id, stranger.auth),
    ]);
    const shapes = answers.map((r) => {
      const { requestId: _r, instance: _i, ...rest } = JSON.parse(r.text);
      return [r.status, rest];
    });
    expect(shapes[0]?.[0]).toBe(404);
    for (const shape of shapes) expect(shape).toEqual(shapes[0]);
    expect((await join(h, mine.id)).status).toBe(401);
  });

  it("admins get the URL at any time, but not of a cancelled class", async (t) => {
    const { h, batch } = await setup(t);
    const admin = await h.asAdmin();
    const future = await insertSession(h.database, batch.id, { startsAt: at(10 * DAY) });
    const cancelled = await insertSession(h.database, batch.id, { status: "cancelled" });
    expect((await join(h, future.id, admin.auth)).status).toBe(200);
    expect((await join(h, cancelled.id, admin.auth)).status).toBe(409);
  });
});
