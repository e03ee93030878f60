/**
 * GET /v1/me/recordings and GET /v1/recordings/{id}: students with an active enrolment in the
 * recording's batch see it; anyone else gets the same 404 as an unknown id; admins read any.
 */
import { describe, expect, it } from "vitest";
import type { RecordingView } from "../../src/domains/live/schemas";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";

const MIN = 60_000;

type Page = { data: RecordingView[]; pagination: { nextCursor: string | null; hasMore: boolean } };

async function recordingIn(h: Harness, batchId: string, startsAt: Date, title = "Optics") {
  const session = await insertSession(h.database, batchId, { startsAt, title });
  const [row] = await adminQuery<{ id: string }>(
    `INSERT INTO recordings (session_id, zoom_meeting_uuid, title, started_at, duration_minutes,
                             play_url, files)
     VALUES ($1, $2, $3, $4, 60, 'https://zoom.example/rec/share/abc?pwd=x', $5) RETURNING id`,
    [
      session.id,
      crypto.randomUUID(),
      title,
      startsAt,
      JSON.stringify([{ id: "f1", fileType: "MP4", playUrl: "https://zoom.example/rec/play/f1" }]),
    ],
    h.database,
  );
  if (!row) throw new Error("recording insert failed");
  return { id: row.id, sessionId: session.id };
}

async function world(h: Harness) {
  const course = await insertCourse(h.database, { title: "JEE Physics", pricePaise: 0 });
  const batch = await insertBatch(h.database, course.id, { name: "Morning batch" });
  const otherBatch = await insertBatch(h.database, course.id, { name: "Evening batch" });
  const now = Date.now();
  const older = await recordingIn(h, batch.id, new Date(now - 48 * 60 * MIN), "Optics 1");
  const newer = await recordingIn(h, batch.id, new Date(now - 24 * 60 * MIN), "Optics 2");
  const elsewhere = await recordingIn(h, otherBatch.id, new Date(now - 60 * MIN), "Other");
  return { course, batch, older, newer, elsewhere };
}

describe("recordings", () => {
  it("an enrolled student lists their batches' recordings, newest first, with names", async (t) => {
    const h = await Harness.init(t);
    const w = await world(h);
    const student = await h.asStudent();
    await insertEnrolment(h.database, student.id, w.batch.id, { status: "active" });

    const first = await h.get<Page>("/v1/me/recordings?limit=1", { headers: student.auth });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.map((r) => r.id)).toEqual([w.newer.id]);
    expect(first.body.data[0]).toMatchObject({
      title: "Optics 2",
      durationMinutes: 60,
      playUrl: "https://zoom.example/rec/share/abc?pwd=x",
      session: { id: w.newer.sessionId, title: "Optics 2" },
      batch: { id: w.batch.id, name: "Morning batch" },
      course: { id: w.course.id, title: "JEE Physics" },
      files: [{ id: "f1", fileType: "MP4", playUrl: "https://zoom.example/rec/play/f1" }],
    });
    expect(first.body.pagination.hasMore).toBe(true);
    const cursor = first.body.pagination.nextCursor ?? "";
    const second = await h.get<Page>(
      `/v1/me/recordings?limit=1&cursor=${encodeURIComponent(cursor)}`,
      { headers: student.auth },
    );
    expect(second.body.data.map((r) => r.id)).toEqual([w.older.id]);
    expect(second.body.pagination.hasMore).toBe(false);

    const one = await h.get<RecordingView>(`/v1/recordings/${w.older.id}`, {
      headers: student.auth,
    });
    expect(one.status, one.text).toBe(200);
    expect(one.body.id).toBe(w.older.id);
  });

  it("not enrolled, pending payment, cancelled, another batch, unknown id: the same 404", async (t) => {
    const h = await Harness.init(t);
    const w = await world(h);
    const [stranger, pending, cancelled, enrolled] = await Promise.all([
      h.asStudent(),
      h.asStudent(),
      h.asStudent(),
      h.asStudent(),
    ]);
    await insertEnrolment(h.database, pending.id, w.batch.id, {
      status: "pending_payment",
      pricePaise: 0,
    });
    await insertEnrolment(h.database, cancelled.id, w.batch.id, { status: "cancelled" });
    await insertEnrolment(h.database, enrolled.id, w.batch.id, { status: "active" });

    const cases: [string, { auth: { Authorization: string } }, string][] = [
      ["stranger", stranger, w.newer.id],
      ["pending payment", pending, w.newer.id],
      ["cancelled", cancelled, w.newer.id],
      ["another batch's recording", enrolled, w.elsewhere.id],
      ["unknown id", enrolled, crypto.randomUUID()],
    ];
    const bodies = new Set<string>();
    for (const [name, who, id] of cases) {
      const res = await h.get<{ code: string; detail: string }>(`/v1/recordings/${id}`, {
        headers: who.auth,
      });
      expect(res.status, `${name}: ${res.text}`).toBe(404);
      bodies.add(JSON.stringify([res.body.code, res.body.detail]));
    }
    expect(bodies.size).toBe(1);
    for (const who of [stranger, pending, cancelled]) {
      const list = await h.get<Page>("/v1/me/recordings", { headers: who.auth });
      expect(list.status, list.text).toBe(200);
      expect(list.body.data).toEqual([]);
    }
  });

  it("admins read any recording; their own list is only their own enrolments", async (t) => {
    const h = await Harness.init(t);
    const w = await world(h);
    for (const role of ["admin", "super_admin"] as const) {
      const admin = await h.asAdmin(role);
      const res = await h.get<RecordingView>(`/v1/recordings/${w.elsewhere.id}`, {
        headers: admin.auth,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.batch.name).toBe("Evening batch");
      const mine = await h.get<Page>("/v1/me/recordings", { headers: admin.auth });
      expect(mine.body.data).toEqual([]);
    }
    const anonymous = await h.get(`/v1/recordings/${w.newer.id}`);
    expect(anonymous.status).toBe(401);
  });
});
