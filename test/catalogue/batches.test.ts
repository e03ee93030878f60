/**
 * Batches (cohorts of a course) through the mounted app: create and change, date order,
 * capacity bounds, time zones, status transitions, audit rows, archived courses, roles.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, batches } from "../../src/db/schema";
import type { BatchView } from "../../src/domains/catalogue/schemas";
import { batchBody, insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";

interface Problem {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  allowedStatuses?: string[];
}

const batchAudit = (h: Harness, id: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.entityType, "batch"), eq(auditLogs.entityId, id)))
    .orderBy(auditLogs.id);

describe("admin: add a batch", () => {
  it("creates a scheduled batch in Asia/Kolkata by default, audited", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database, { status: "draft" });
    const body = batchBody({ pricePaiseOverride: 799_900 });
    const res = await h.post<unknown, BatchView>(`/v1/admin/courses/${course.id}/batches`, body, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      courseId: course.id,
      name: body.name,
      startDate: body.startDate,
      endDate: body.endDate,
      timezone: "Asia/Kolkata",
      capacity: 60,
      pricePaiseOverride: 799_900,
      status: "scheduled",
      nextStatuses: ["running", "cancelled"],
      enrolmentOpensAt: body.enrolmentOpensAt,
      enrolmentClosesAt: body.enrolmentClosesAt,
    });
    const [audit] = await batchAudit(h, res.body.id);
    expect(audit).toMatchObject({
      action: "batch.create",
      actorId: admin.id,
      after: expect.objectContaining({ courseId: course.id, capacity: 60 }),
    });
  });

  it("keeps another IANA time zone as sent", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const res = await h.post<unknown, BatchView>(
      `/v1/admin/courses/${course.id}/batches`,
      batchBody({ timezone: "America/New_York" }),
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.timezone).toBe("America/New_York");
  });

  it.for<[string, Record<string, unknown>, string]>([
    [
      "an end date before the start date",
      { startDate: "2027-02-01", endDate: "2027-01-31" },
      "endDate",
    ],
    [
      "enrolment closing before it opens",
      { enrolmentOpensAt: "2027-01-10T00:00:00Z", enrolmentClosesAt: "2027-01-09T23:59:59Z" },
      "enrolmentClosesAt",
    ],
    [
      "enrolment closing when it opens",
      { enrolmentOpensAt: "2027-01-10T00:00:00Z", enrolmentClosesAt: "2027-01-10T00:00:00Z" },
      "enrolmentClosesAt",
    ],
    ["no seats", { capacity: 0 }, "capacity"],
    ["more seats than a webinar holds", { capacity: 10_001 }, "capacity"],
    ["a fractional capacity", { capacity: 12.5 }, "capacity"],
    ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }, "timezone"],
    ["an offset instead of a zone", { timezone: "+05:30" }, "timezone"],
    ["a date that does not exist", { startDate: "2027-02-30" }, "startDate"],
    ["a date before 2000", { startDate: "1999-12-31" }, "startDate"],
    ["a date-time where a date goes", { endDate: "2027-03-01T00:00:00Z" }, "endDate"],
    [
      "an instant without an offset",
      { enrolmentOpensAt: "2027-01-01T00:00:00" },
      "enrolmentOpensAt",
    ],
    ["a negative price override", { pricePaiseOverride: -1 }, "pricePaiseOverride"],
    ["a status (batches start as scheduled)", { status: "running" }, "(root)"],
  ])("refuses %s → 400, nothing written", async ([, override, path], t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const res = await h.post<unknown, Problem>(
      `/v1/admin/courses/${course.id}/batches`,
      batchBody(override),
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(res.body.errors?.map((e) => e.path)).toContain(path);
    expect(await h.db.select().from(batches).where(eq(batches.courseId, course.id))).toEqual([]);
  });

  it("capacity 1 and 10,000 are both fine", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    for (const capacity of [1, 10_000]) {
      const res = await h.post(`/v1/admin/courses/${course.id}/batches`, batchBody({ capacity }), {
        headers: admin.auth,
      });
      expect(res.status, res.text).toBe(201);
    }
  });

  it("an archived course takes no batches (409); an unknown one → 404", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const archived = await insertCourse(h.database, { status: "archived" });
    const res = await h.post<unknown, Problem>(
      `/v1/admin/courses/${archived.id}/batches`,
      batchBody(),
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(409);
    expect(await h.db.select().from(batches).where(eq(batches.courseId, archived.id))).toEqual([]);
    const missing = await h.post(`/v1/admin/courses/${crypto.randomUUID()}/batches`, batchBody(), {
      headers: admin.auth,
    });
    expect(missing.status, missing.text).toBe(404);
  });

  it("students get 403, nothing written", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const course = await insertCourse(h.database);
    const res = await h.post(`/v1/admin/courses/${course.id}/batches`, batchBody(), {
      headers: student.auth,
    });
    expect(res.status, res.text).toBe(403);
    expect(await h.db.select().from(batches).where(eq(batches.courseId, course.id))).toEqual([]);
  });
});

describe("admin: change a batch", () => {
  it("scheduled → running → completed, each audited; then it is frozen", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id);
    const step = (body: unknown) =>
      h.patch<unknown, BatchView & Problem>(`/v1/admin/batches/${batch.id}`, body, {
        headers: admin.auth,
      });

    const running = await step({ status: "running", capacity: 80 });
    expect(running.status, running.text).toBe(200);
    expect(running.body).toMatchObject({
      status: "running",
      capacity: 80,
      nextStatuses: ["completed", "cancelled"],
    });
    const completed = await step({ status: "completed" });
    expect(completed.status, completed.text).toBe(200);
    expect(completed.body.nextStatuses).toEqual([]);

    const renamed = await step({ name: "Renamed" });
    expect(renamed.status, renamed.text).toBe(409);
    const reopened = await step({ status: "running" });
    expect(reopened.status, reopened.text).toBe(409);
    expect(reopened.body.allowedStatuses).toEqual([]);

    expect((await batchAudit(h, batch.id)).map((r) => r.action)).toEqual([
      "batch.running",
      "batch.completed",
    ]);
  });

  it.for<[string, string, string[]]>([
    ["scheduled", "completed", ["running", "cancelled"]],
    ["running", "scheduled", ["completed", "cancelled"]],
    ["cancelled", "scheduled", []],
    ["completed", "cancelled", []],
  ])(
    "a %s batch cannot become %s → 409 with the allowed statuses",
    async ([from, to, allowed], t) => {
      const h = await Harness.init(t);
      const admin = await h.asAdmin();
      const course = await insertCourse(h.database);
      const batch = await insertBatch(h.database, course.id, {
        status: from as "scheduled" | "running" | "completed" | "cancelled",
      });
      const res = await h.patch<unknown, Problem>(
        `/v1/admin/batches/${batch.id}`,
        { status: to },
        { headers: admin.auth },
      );
      expect(res.status, res.text).toBe(409);
      expect(res.body.allowedStatuses).toEqual(allowed);
      const [row] = await h.db.select().from(batches).where(eq(batches.id, batch.id));
      expect(row?.status).toBe(from);
    },
  );

  it("a scheduled or running batch may be cancelled", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    for (const status of ["scheduled", "running"] as const) {
      const batch = await insertBatch(h.database, course.id, { status });
      const res = await h.patch<unknown, BatchView>(
        `/v1/admin/batches/${batch.id}`,
        { status: "cancelled" },
        { headers: admin.auth },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe("cancelled");
    }
  });

  it("dates stay in order with the fields not being changed (400 naming the field)", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id);
    const [before] = await h.db.select().from(batches).where(eq(batches.id, batch.id));
    const early = await h.patch<unknown, Problem>(
      `/v1/admin/batches/${batch.id}`,
      { endDate: "2001-01-01" },
      { headers: admin.auth },
    );
    expect(early.status, early.text).toBe(400);
    expect(early.body.errors).toEqual([
      { path: "endDate", message: "Must be on or after startDate" },
    ]);
    const closesBeforeOpen = await h.patch<unknown, Problem>(
      `/v1/admin/batches/${batch.id}`,
      { enrolmentClosesAt: new Date(Date.now() - 3 * 86_400_000).toISOString() },
      { headers: admin.auth },
    );
    expect(closesBeforeOpen.status, closesBeforeOpen.text).toBe(400);
    expect(closesBeforeOpen.body.errors?.[0]?.path).toBe("enrolmentClosesAt");
    const [after] = await h.db.select().from(batches).where(eq(batches.id, batch.id));
    expect(after).toEqual(before);
    // Both ends moved together is fine.
    const moved = await h.patch<unknown, BatchView>(
      `/v1/admin/batches/${batch.id}`,
      { startDate: "2030-01-01", endDate: "2030-02-01" },
      { headers: admin.auth },
    );
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ startDate: "2030-01-01", endDate: "2030-02-01" });
  });

  it("clears a price override with null", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id, { pricePaiseOverride: 1_000 });
    const res = await h.patch<unknown, BatchView>(
      `/v1/admin/batches/${batch.id}`,
      { pricePaiseOverride: null },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.pricePaiseOverride).toBeNull();
  });

  it("an empty body → 400; an unknown batch → 404; students → 403", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id);
    const empty = await h.patch(`/v1/admin/batches/${batch.id}`, {}, { headers: admin.auth });
    expect(empty.status, empty.text).toBe(400);
    const missing = await h.patch(
      `/v1/admin/batches/${crypto.randomUUID()}`,
      { name: "x" },
      { headers: admin.auth },
    );
    expect(missing.status, missing.text).toBe(404);
    const denied = await h.patch(
      `/v1/admin/batches/${batch.id}`,
      { status: "cancelled" },
      { headers: student.auth },
    );
    expect(denied.status, denied.text).toBe(403);
    const [row] = await h.db.select().from(batches).where(eq(batches.id, batch.id));
    expect(row?.status).toBe("scheduled");
  });
});
