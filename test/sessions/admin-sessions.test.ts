/**
 * Admins schedule, list, reschedule and cancel classes through the mounted app; Zoom is the
 * real adapter against the fake Zoom. Nothing is ever half-created: a class row exists only
 * with its meeting, and a meeting only with its row.
 */
import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, classSessions, errorLogs, notifications } from "../../src/db/schema";
import type { SessionView } from "../../src/domains/sessions/schemas";
import { adminQuery } from "../support/database";
import { eventually } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";
import { lastEmailTo, notificationsTo } from "../support/outbox";
import { createSession, inMinutes, sessionSetup } from "../support/sessions";

interface Problem {
  code: string;
  detail: string;
  status: number;
  errors?: { path: string; message: string }[];
}

const sessionRows = (s: Awaited<ReturnType<typeof sessionSetup>>) =>
  s.h.db.select().from(classSessions).where(eq(classSessions.batchId, s.batch.id));

const auditOf = (s: Awaited<ReturnType<typeof sessionSetup>>, id: string) =>
  s.h.db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.entityType, "class_session"), eq(auditLogs.entityId, id)))
    .orderBy(asc(auditLogs.id));

describe("schedule a class", () => {
  it("creates the Zoom meeting in the batch's zone, then the row, audited", async (t) => {
    const s = await sessionSetup(t);
    const startsAt = new Date(Date.now() + 2 * 86_400_000);
    startsAt.setUTCSeconds(0, 0);
    const res = await s.h.post<unknown, SessionView>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Projectile motion", startsAt: startsAt.toISOString(), durationMinutes: 90 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      batchId: s.batch.id,
      title: "Projectile motion",
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 90 * 60_000).toISOString(),
      durationMinutes: 90,
      status: "scheduled",
      cancelledAt: null,
    });
    expect(res.body).not.toHaveProperty("joinUrl");
    const { meetings } = await s.zoom.state();
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toMatchObject({
      id: Number(res.body.zoomMeetingId),
      topic: "Projectile motion",
      start_time: startsAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
      duration: 90,
      timezone: "Asia/Kolkata",
    });
    const [row] = await sessionRows(s);
    expect(row).toMatchObject({
      id: res.body.id,
      zoomMeetingId: res.body.zoomMeetingId,
      joinUrl: meetings[0]?.join_url,
    });
    const [audit] = await auditOf(s, res.body.id);
    expect(audit).toMatchObject({ action: "class_session.create", actorId: s.admin.id });
    expect(JSON.stringify(audit?.after)).not.toContain("pwd=");
  });

  it("lists a batch's classes in time order, cancelled ones included", async (t) => {
    const s = await sessionSetup(t);
    const later = await createSession(s, { title: "Later", startsAt: inMinutes(3 * 24 * 60) });
    const sooner = await createSession(s, { title: "Sooner", startsAt: inMinutes(2 * 24 * 60) });
    await s.h.delete(`/v1/admin/sessions/${later.id}`, { headers: s.admin.auth });
    const res = await s.h.get<{ data: SessionView[] }>(`/v1/admin/batches/${s.batch.id}/sessions`, {
      headers: s.admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((x) => [x.id, x.status])).toEqual([
      [sooner.id, "scheduled"],
      [later.id, "cancelled"],
    ]);
    const unknown = await s.h.get(
      "/v1/admin/batches/00000000-0000-4000-8000-000000000009/sessions",
      { headers: s.admin.auth },
    );
    expect(unknown.status).toBe(404);
  });

  describe.each([
    ["in the past", { startsAt: new Date(Date.now() - 60_000).toISOString() }, "startsAt"],
    ["zero minutes", { durationMinutes: 0 }, "durationMinutes"],
    ["longer than 8 hours", { durationMinutes: 481 }, "durationMinutes"],
    ["no zone", { startsAt: "2030-01-01T10:00:00" }, "startsAt"],
    ["an empty title", { title: "  " }, "title"],
    ["an unknown field", { room: "A" }, "(root)"],
  ])("%s → 400, no meeting", (_label, patch, path) => {
    it("is refused before Zoom is called", async (t) => {
      const s = await sessionSetup(t);
      const res = await s.h.post<unknown, Problem>(
        `/v1/admin/batches/${s.batch.id}/sessions`,
        { title: "Kinematics", startsAt: inMinutes(600), durationMinutes: 60, ...patch },
        { headers: s.admin.auth },
      );
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors?.map((e) => e.path)).toContain(path);
      expect((await s.zoom.state()).calls.create).toBe(0);
    });
  });

  it.for(["completed", "cancelled"])("a %s batch → 409, no meeting", async (status, t) => {
    const s = await sessionSetup(t);
    await adminQuery(
      `UPDATE batches SET status = $1 WHERE id = $2`,
      [status, s.batch.id],
      s.h.database,
    );
    const res = await s.h.post<unknown, Problem>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Kinematics", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(409);
    expect((await s.zoom.state()).calls.create).toBe(0);
  });

  it("an unknown batch → 404, no meeting", async (t) => {
    const s = await sessionSetup(t);
    const res = await s.h.post(
      "/v1/admin/batches/00000000-0000-4000-8000-000000000009/sessions",
      { title: "Kinematics", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(404);
    expect((await s.zoom.state()).calls.create).toBe(0);
  });
});

describe("no half-created class", () => {
  it("Zoom 5xx on create → 502, no row, no meeting", async (t) => {
    const s = await sessionSetup(t);
    await s.zoom.fault({ op: "create", status: 503 });
    const res = await s.h.post<unknown, Problem>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Kinematics", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(502);
    expect(res.body.code).toBe("EXTERNAL_SERVICE_ERROR");
    expect(await sessionRows(s)).toEqual([]);
    expect((await s.zoom.state()).meetings).toEqual([]);
  });

  it("Zoom timing out on create → 502, no row, no meeting", { timeout: 30_000 }, async (t) => {
    const s = await sessionSetup(t);
    // Longer than the adapter's 10 s request timeout: the fake drops the request unanswered.
    await s.zoom.fault({ op: "create", delayMs: 11_000 });
    const res = await s.h.post<unknown, Problem>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Kinematics", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(502);
    expect(await sessionRows(s)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await s.zoom.state()).meetings).toEqual([]);
  });

  it("the row cannot be written after the meeting exists → the meeting is deleted", async (t) => {
    const s = await sessionSetup(t);
    // A real database failure after Zoom answered: a trigger refusing this title.
    await failDoomedInserts(s.h.database);
    const res = await s.h.post<unknown, Problem>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Doomed", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(500);
    expect(await sessionRows(s)).toEqual([]);
    const state = await s.zoom.state();
    expect(state.calls).toMatchObject({ create: 1, delete: 1 });
    expect(state.meetings).toEqual([]);
  });

  it("…and if Zoom refuses that delete too, the orphan's id reaches the error log", async (t) => {
    const s = await sessionSetup(t);
    await failDoomedInserts(s.h.database);
    await s.zoom.fault({ op: "delete", status: 500 });
    const res = await s.h.post<unknown, Problem>(
      `/v1/admin/batches/${s.batch.id}/sessions`,
      { title: "Doomed twice", startsAt: inMinutes(600), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(500);
    expect(res.text).not.toMatch(/ORPHAN|meeting/i);
    const [meeting] = (await s.zoom.state()).meetings;
    expect(meeting).toBeDefined();
    const logged = await eventually(async () => {
      const rows = await s.h.db.select().from(errorLogs);
      return rows.find((r) => r.message.includes(String(meeting?.id)));
    });
    expect(logged.message).toMatch(/ORPHANED ZOOM MEETING/);
    expect(await sessionRows(s)).toEqual([]);
  });
});

/** Installs (in this file's database) a trigger that refuses writing classes titled "Doomed…". */
async function failDoomedInserts(database: string) {
  await adminQuery(
    `CREATE OR REPLACE FUNCTION test_fail_session_insert() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW.title LIKE 'Doomed%' THEN RAISE EXCEPTION 'forced failure'; END IF;
       RETURN NEW;
     END $$`,
    [],
    database,
  );
  await adminQuery(
    `DROP TRIGGER IF EXISTS test_fail_session_insert ON class_sessions;
     CREATE TRIGGER test_fail_session_insert BEFORE INSERT OR UPDATE ON class_sessions
       FOR EACH ROW EXECUTE FUNCTION test_fail_session_insert()`,
    [],
    database,
  );
}

describe("reschedule", () => {
  it("moves the meeting, then the row; audited; active students emailed in IST", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const active = await s.h.asStudent();
    const pending = await s.h.asStudent();
    const cancelled = await s.h.asStudent();
    await insertEnrolment(s.h.database, active.id, s.batch.id);
    await insertEnrolment(s.h.database, pending.id, s.batch.id, { status: "pending_payment" });
    await insertEnrolment(s.h.database, cancelled.id, s.batch.id, { status: "cancelled" });

    const moved = new Date("2030-01-07T04:30:00Z");
    const res = await s.h.patch<unknown, SessionView>(
      `/v1/admin/sessions/${session.id}`,
      { startsAt: moved.toISOString(), durationMinutes: 60 },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ startsAt: moved.toISOString(), durationMinutes: 60 });
    const [meeting] = (await s.zoom.state()).meetings;
    expect(meeting).toMatchObject({ start_time: "2030-01-07T04:30:00Z", duration: 60 });
    const audits = await auditOf(s, session.id);
    expect(audits.map((a) => a.action)).toEqual([
      "class_session.create",
      "class_session.reschedule",
    ]);

    // Written with the change (before anything is delivered), one per active student.
    const mails = await s.h.db.select().from(notifications);
    const to = (u: { email: string }) => mails.filter((m) => m.toAddress === u.email);
    expect(to(active)).toHaveLength(1);
    expect(to(active)[0]).toMatchObject({
      template: "schedule_change",
      userId: active.id,
      status: "queued",
      variables: expect.objectContaining({ change: "rescheduled", durationMinutes: 60 }),
    });
    expect(to(active)[0]?.dedupeKey).toMatch(
      new RegExp(`^schedule_change:${session.id}:rescheduled:\\d+:${active.id}$`),
    );
    expect(to(pending)).toEqual([]);
    expect(to(cancelled)).toEqual([]);
    const mail = await lastEmailTo(s.h, active.email);
    expect(mail?.status).toBe("sent");
    // 04:30 UTC is 10:00 in Kolkata.
    expect(mail?.text).toMatch(/New time: Mon, 7 Jan 2030, 10:00 am IST/);

    // Another change of the same class is another notice (its own dedupe key).
    const again = await s.h.patch<unknown, SessionView>(
      `/v1/admin/sessions/${session.id}`,
      { title: "Moved again" },
      { headers: s.admin.auth },
    );
    expect(again.status, again.text).toBe(200);
    const notices = await notificationsTo(s.h, active.email);
    expect(notices).toHaveLength(2);
    expect(new Set(notices.map((n) => n.dedupeKey)).size).toBe(2);
  });

  it("Zoom failing → 502 and the row is unchanged, nobody emailed", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const student = await s.h.asStudent();
    await insertEnrolment(s.h.database, student.id, s.batch.id);
    await s.zoom.fault({ op: "update", status: 500 });
    const res = await s.h.patch<unknown, Problem>(
      `/v1/admin/sessions/${session.id}`,
      { startsAt: inMinutes(3000), title: "Moved" },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(502);
    const [row] = await sessionRows(s);
    expect(row).toMatchObject({ title: session.title, startsAt: new Date(session.startsAt) });
    expect((await auditOf(s, session.id)).map((a) => a.action)).toEqual(["class_session.create"]);
    expect(await notificationsTo(s.h, student.email)).toEqual([]);
  });

  it("the row cannot be written after Zoom moved → Zoom is put back as the row says", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    await failDoomedInserts(s.h.database);
    const res = await s.h.patch(
      `/v1/admin/sessions/${session.id}`,
      { title: "Doomed rename", startsAt: inMinutes(5000) },
      { headers: s.admin.auth },
    );
    expect(res.status, res.text).toBe(500);
    const [meeting] = (await s.zoom.state()).meetings;
    expect(meeting).toMatchObject({
      topic: session.title,
      start_time: session.startsAt.replace(/\.\d{3}Z$/, "Z"),
    });
    expect((await s.zoom.state()).calls.update).toBe(2);
  });

  it.for(["cancelled", "ended", "live"] as const)(
    "a %s class → 409, Zoom untouched",
    async (status, t) => {
      const s = await sessionSetup(t);
      const row = await insertSession(s.h.database, s.batch.id, { status });
      const res = await s.h.patch<unknown, Problem>(
        `/v1/admin/sessions/${row.id}`,
        { durationMinutes: 30 },
        { headers: s.admin.auth },
      );
      expect(res.status, res.text).toBe(409);
      expect((await s.zoom.state()).calls.update).toBe(0);
    },
  );

  it("into the past → 400; an unknown class → 404; nothing changed → 200 without Zoom", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const past = await s.h.patch(
      `/v1/admin/sessions/${session.id}`,
      { startsAt: new Date(Date.now() - 60_000).toISOString() },
      { headers: s.admin.auth },
    );
    expect(past.status, past.text).toBe(400);
    const unknown = await s.h.patch(
      "/v1/admin/sessions/00000000-0000-4000-8000-000000000009",
      { durationMinutes: 30 },
      { headers: s.admin.auth },
    );
    expect(unknown.status, unknown.text).toBe(404);
    const same = await s.h.patch(
      `/v1/admin/sessions/${session.id}`,
      { title: session.title },
      { headers: s.admin.auth },
    );
    expect(same.status, same.text).toBe(200);
    expect((await s.zoom.state()).calls.update).toBe(0);
  });
});

describe("cancel", () => {
  it("deletes the meeting, keeps the row as cancelled, audits, emails active students", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const student = await s.h.asStudent();
    const outsider = await s.h.asStudent();
    await insertEnrolment(s.h.database, student.id, s.batch.id);
    const res = await s.h.delete<SessionView>(`/v1/admin/sessions/${session.id}`, {
      headers: s.admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("cancelled");
    expect(res.body.cancelledAt).not.toBeNull();
    expect((await s.zoom.state()).meetings).toEqual([]);
    const [row] = await sessionRows(s);
    expect(row?.status).toBe("cancelled");
    expect((await auditOf(s, session.id)).map((a) => a.action)).toEqual([
      "class_session.create",
      "class_session.cancel",
    ]);
    const mails = await notificationsTo(s.h, student.email);
    expect(mails.map((m) => [m.template, m.variables.change, m.dedupeKey])).toEqual([
      ["schedule_change", "cancelled", `schedule_change:${session.id}:cancelled:${student.id}`],
    ]);
    expect(await notificationsTo(s.h, outsider.email)).toEqual([]);
    expect((await lastEmailTo(s.h, student.email))?.subject).toBe(
      `Class cancelled: ${session.title}`,
    );

    // Idempotent: the same answer, no Zoom call, no second audit row or email.
    const again = await s.h.delete<SessionView>(`/v1/admin/sessions/${session.id}`, {
      headers: s.admin.auth,
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(res.body);
    expect((await s.zoom.state()).calls.delete).toBe(1);
    expect(await auditOf(s, session.id)).toHaveLength(2);
    expect(await notificationsTo(s.h, student.email)).toHaveLength(1);
  });

  it("two cancels at once: both 200, one audit row, one email", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const student = await s.h.asStudent();
    await insertEnrolment(s.h.database, student.id, s.batch.id);
    const answers = await Promise.all(
      [1, 2].map(() =>
        s.h.delete<SessionView>(`/v1/admin/sessions/${session.id}`, { headers: s.admin.auth }),
      ),
    );
    for (const res of answers) {
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe("cancelled");
    }
    expect((await auditOf(s, session.id)).map((a) => a.action)).toEqual([
      "class_session.create",
      "class_session.cancel",
    ]);
    expect(await notificationsTo(s.h, student.email)).toHaveLength(1);
  });

  it("a meeting Zoom no longer knows counts as deleted", async (t) => {
    const s = await sessionSetup(t);
    const row = await insertSession(s.h.database, s.batch.id, { zoomMeetingId: "98765432101" });
    const res = await s.h.delete<SessionView>(`/v1/admin/sessions/${row.id}`, {
      headers: s.admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("cancelled");
  });

  it("Zoom failing → 502, still scheduled; an ended class → 409", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    await s.zoom.fault({ op: "delete", status: 502 });
    const res = await s.h.delete(`/v1/admin/sessions/${session.id}`, { headers: s.admin.auth });
    expect(res.status, res.text).toBe(502);
    expect((await sessionRows(s))[0]?.status).toBe("scheduled");
    const ended = await insertSession(s.h.database, s.batch.id, { status: "ended" });
    const conflict = await s.h.delete(`/v1/admin/sessions/${ended.id}`, { headers: s.admin.auth });
    expect(conflict.status, conflict.text).toBe(409);
  });
});

describe("students and admin routes", () => {
  it("a student (even enrolled) cannot create, list, reschedule or cancel", async (t) => {
    const s = await sessionSetup(t);
    const session = await createSession(s);
    const student = await s.h.asStudent();
    await insertEnrolment(s.h.database, student.id, s.batch.id);
    const calls = [
      s.h.post(
        `/v1/admin/batches/${s.batch.id}/sessions`,
        { title: "X", startsAt: inMinutes(600), durationMinutes: 30 },
        { headers: student.auth },
      ),
      s.h.get(`/v1/admin/batches/${s.batch.id}/sessions`, { headers: student.auth }),
      s.h.patch(
        `/v1/admin/sessions/${session.id}`,
        { durationMinutes: 30 },
        { headers: student.auth },
      ),
      s.h.delete(`/v1/admin/sessions/${session.id}`, { headers: student.auth }),
    ];
    for (const res of await Promise.all(calls)) expect(res.status, res.text).toBe(403);
    expect((await s.zoom.state()).calls).toMatchObject({ create: 1, update: 0, delete: 0 });
  });
});
