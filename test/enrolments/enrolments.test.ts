/**
 * Enrolments through the mounted app against real Postgres: free and paid seats, the 30-minute
 * hold, the batch's window and status, capacity (exact under a concurrent burst), one row per
 * student and batch (duplicates, re-enrolment), cancel, admin grants, the roster's attendance,
 * the course page's seats left, and ownership.
 */
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, enrolments } from "../../src/db/schema";
import type { EnrolmentView, RosterEntryView } from "../../src/domains/enrolments/schemas";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { insertEnrolment, insertInterval, insertSession } from "../support/learning";

interface Problem {
  code: string;
  detail: string;
}
interface Page<T> {
  data: T[];
  pagination: { limit: number; nextCursor: string | null; hasMore: boolean };
}

const MIN = 60_000;
const DAY = 86_400_000;

async function openBatch(
  h: Harness,
  opts: { pricePaise?: number; capacity?: number; override?: number | null } = {},
) {
  const course = await insertCourse(h.database, { pricePaise: opts.pricePaise ?? 0 });
  const batch = await insertBatch(h.database, course.id, {
    capacity: opts.capacity ?? 40,
    pricePaiseOverride: opts.override ?? null,
  });
  return { course, batch };
}

const enrol = (h: Harness, u: TestUser, batchId: string) =>
  h.post<unknown, EnrolmentView & Problem>("/v1/enrolments", { batchId }, { headers: u.auth });

const seatsInDb = async (h: Harness, batchId: string) => {
  const [row] = await h.db
    .select({ n: sql<number>`count(*)::int` })
    .from(enrolments)
    .where(
      and(
        eq(enrolments.batchId, batchId),
        sql`(${enrolments.status} = 'active' or (${enrolments.status} = 'pending_payment' and ${enrolments.holdExpiresAt} > now()))`,
      ),
    );
  return row?.n;
};

const auditOf = (h: Harness, id: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.entityType, "enrolment"), eq(auditLogs.entityId, id)))
    .orderBy(auditLogs.id);

describe("POST /v1/enrolments", () => {
  it("a free batch: active at once, audited; a second POST returns the same enrolment (200)", async (t) => {
    const h = await Harness.init(t);
    const { course, batch } = await openBatch(h, { pricePaise: 0 });
    const me = await h.asStudent();
    const res = await enrol(h, me, batch.id);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      userId: me.id,
      status: "active",
      source: "self",
      pricePaise: 0,
      holdExpiresAt: null,
      course: { id: course.id, slug: course.slug },
      batch: { id: batch.id, status: "scheduled", timezone: "Asia/Kolkata" },
    });
    expect(res.body.activatedAt).not.toBeNull();
    const [audit] = await auditOf(h, res.body.id);
    expect(audit).toMatchObject({ action: "enrolment.create", actorId: me.id });

    const again = await enrol(h, me, batch.id);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await auditOf(h, res.body.id)).toHaveLength(1);
  });

  it("a paid batch: pending_payment at the batch's price, the seat held for 30 minutes", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { pricePaise: 99_900, override: 49_900 });
    const me = await h.asStudent();
    const before = Date.now();
    const res = await enrol(h, me, batch.id);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: "pending_payment", pricePaise: 49_900 });
    const hold = Date.parse(res.body.holdExpiresAt ?? "");
    expect(hold).toBeGreaterThan(before + 29 * MIN);
    expect(hold).toBeLessThan(Date.now() + 31 * MIN);
    // Still held: the same enrolment back.
    const again = await enrol(h, me, batch.id);
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(res.body.id);
  });

  it.for<[string, (h: Harness) => Promise<string>, number, string]>([
    ["an unknown batch", async () => crypto.randomUUID(), 404, "NOT_FOUND"],
    [
      "a batch of a draft course",
      async (h) => {
        const c = await insertCourse(h.database, { status: "draft", pricePaise: 0 });
        return (await insertBatch(h.database, c.id)).id;
      },
      404,
      "NOT_FOUND",
    ],
    [
      "a batch of an archived course",
      async (h) => {
        const c = await insertCourse(h.database, { status: "archived", pricePaise: 0 });
        return (await insertBatch(h.database, c.id)).id;
      },
      404,
      "NOT_FOUND",
    ],
    [
      "a cancelled batch",
      async (h) => {
        const c = await insertCourse(h.database, { pricePaise: 0 });
        return (await insertBatch(h.database, c.id, { status: "cancelled" })).id;
      },
      404,
      "NOT_FOUND",
    ],
    [
      "a completed batch",
      async (h) => {
        const c = await insertCourse(h.database, { pricePaise: 0 });
        return (await insertBatch(h.database, c.id, { status: "completed" })).id;
      },
      409,
      "ENROLMENT_CLOSED",
    ],
    [
      "a window not open yet",
      async (h) => {
        const c = await insertCourse(h.database, { pricePaise: 0 });
        return (
          await insertBatch(h.database, c.id, {
            opensAt: new Date(Date.now() + DAY),
            closesAt: new Date(Date.now() + 2 * DAY),
          })
        ).id;
      },
      409,
      "ENROLMENT_CLOSED",
    ],
    [
      "a window that has closed",
      async (h) => {
        const c = await insertCourse(h.database, { pricePaise: 0 });
        return (
          await insertBatch(h.database, c.id, {
            opensAt: new Date(Date.now() - 2 * DAY),
            closesAt: new Date(Date.now() - MIN),
          })
        ).id;
      },
      409,
      "ENROLMENT_CLOSED",
    ],
    [
      "a full batch",
      async (h) => {
        const { batch } = await openBatch(h, { capacity: 2, pricePaise: 100 });
        const [a, b] = [await h.asStudent(), await h.asStudent()];
        await insertEnrolment(h.database, a.id, batch.id, { status: "active", pricePaise: 100 });
        await insertEnrolment(h.database, b.id, batch.id, {
          status: "pending_payment",
          pricePaise: 100,
        });
        return batch.id;
      },
      409,
      "BATCH_FULL",
    ],
  ])("refuses %s", async ([, setup, status, code], t) => {
    const h = await Harness.init(t);
    const batchId = await setup(h);
    const me = await h.asStudent();
    const res = await enrol(h, me, batchId);
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.code).toBe(code);
    const [row] = await h.db.select().from(enrolments).where(eq(enrolments.userId, me.id));
    expect(row).toBeUndefined();
  });

  it("an expired hold frees its seat at once, before the expiry job runs", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 1, pricePaise: 100 });
    const other = await h.asStudent();
    await insertEnrolment(h.database, other.id, batch.id, {
      status: "pending_payment",
      pricePaise: 100,
      holdExpiresAt: new Date(Date.now() - MIN),
    });
    const me = await h.asStudent();
    const res = await enrol(h, me, batch.id);
    expect(res.status, res.text).toBe(201);
  });

  it("re-enrols into the same row after a cancel, an expiry, or a lapsed hold; subject to capacity", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 1, pricePaise: 100 });
    const me = await h.asStudent();
    const first = await enrol(h, me, batch.id);
    expect(first.status, first.text).toBe(201);

    const cancelled = await h.post<unknown, EnrolmentView>(
      `/v1/enrolments/${first.body.id}/cancel`,
      undefined,
      { headers: me.auth },
    );
    expect(cancelled.status, cancelled.text).toBe(200);
    const again = await enrol(h, me, batch.id);
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({
      id: first.body.id,
      status: "pending_payment",
      cancelledAt: null,
    });

    // The hold lapses before the job has expired it: the student can take the seat again.
    await adminQuery(
      "UPDATE enrolments SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
      [first.body.id],
      h.database,
    );
    const renewed = await enrol(h, me, batch.id);
    expect(renewed.status, renewed.text).toBe(201);
    expect(renewed.body.id).toBe(first.body.id);
    expect(Date.parse(renewed.body.holdExpiresAt ?? "")).toBeGreaterThan(Date.now() + 29 * MIN);
    const actions = (await auditOf(h, first.body.id)).map((a) => a.action);
    expect(actions).toEqual([
      "enrolment.create",
      "enrolment.cancel",
      "enrolment.renew",
      "enrolment.expire",
      "enrolment.renew",
    ]);

    // Expired by the job; meanwhile someone else took the only seat.
    await adminQuery(
      "UPDATE enrolments SET status = 'expired', hold_expires_at = NULL WHERE id = $1",
      [first.body.id],
      h.database,
    );
    const other = await h.asStudent();
    expect((await enrol(h, other, batch.id)).status).toBe(201);
    const full = await enrol(h, me, batch.id);
    expect(full.status, full.text).toBe(409);
    expect(full.body.code).toBe("BATCH_FULL");
  });

  it("admins do not enrol themselves (403): they grant", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h);
    const admin = await h.asAdmin();
    const res = await enrol(h, admin, batch.id);
    expect(res.status, res.text).toBe(403);
  });
});

describe("POST /v1/enrolments with Idempotency-Key", () => {
  it("a retry replays the first answer; the same key for another batch is 422; one seat, one audit row", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { pricePaise: 49_900 });
    const other = await openBatch(h, { pricePaise: 0 });
    const me = await h.asStudent();
    const headers = { ...me.auth, "Idempotency-Key": `enrol-${crypto.randomUUID()}` };
    const first = await h.post<unknown, EnrolmentView & Problem>(
      "/v1/enrolments",
      { batchId: batch.id },
      { headers },
    );
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const again = await h.post<unknown, EnrolmentView>(
      "/v1/enrolments",
      { batchId: batch.id },
      { headers },
    );
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const reused = await h.post<unknown, Problem>(
      "/v1/enrolments",
      { batchId: other.batch.id },
      { headers },
    );
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await seatsInDb(h, batch.id)).toBe(1);
    expect(await seatsInDb(h, other.batch.id)).toBe(0);
    expect(await auditOf(h, first.body.id)).toHaveLength(1);
  });

  it("a refused enrolment stores nothing: the key is free again once the batch has room", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 1 });
    const holder = await h.asStudent();
    const holding = await enrol(h, holder, batch.id);
    expect(holding.status).toBe(201);
    const me = await h.asStudent();
    const headers = { ...me.auth, "Idempotency-Key": `enrol-${crypto.randomUUID()}` };
    const full = await h.post<unknown, Problem>(
      "/v1/enrolments",
      { batchId: batch.id },
      { headers },
    );
    expect(full.status).toBe(409);
    expect(full.body.code).toBe("BATCH_FULL");
    const cancelled = await h.post(
      `/v1/enrolments/${holding.body.id}/cancel`,
      {},
      {
        headers: holder.auth,
      },
    );
    expect(cancelled.status, cancelled.text).toBe(200);
    const retry = await h.post<unknown, EnrolmentView>(
      "/v1/enrolments",
      { batchId: batch.id },
      { headers },
    );
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect(retry.body.status).toBe("active");
  });
});

describe("capacity under concurrency", () => {
  it.for([
    ["50 students, 10 free seats", 50, 0],
    ["30 students, 10 paid seats", 30, 99_900],
  ] as const)("%s: exactly 10 seats are taken", async ([, students, price], t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 10, pricePaise: price });
    const users = await Promise.all(Array.from({ length: students }, () => h.asStudent()));
    const results = await Promise.all(users.map((u) => enrol(h, u, batch.id)));
    const statuses = results.map((r) => r.status);
    const unexpected = results.filter((r) => r.status !== 201 && r.status !== 409);
    expect(unexpected.map((r) => r.text)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(
      Array(students - 10).fill("BATCH_FULL"),
    );
    expect(await seatsInDb(h, batch.id)).toBe(10);
  });
});

describe("POST /v1/enrolments/{id}/cancel", () => {
  it("gives the seat back, audited; a second cancel is 409", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 1 });
    const me = await h.asStudent();
    const e = await enrol(h, me, batch.id);
    const res = await h.post<unknown, EnrolmentView & Problem>(
      `/v1/enrolments/${e.body.id}/cancel`,
      undefined,
      { headers: me.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: e.body.id, status: "cancelled", holdExpiresAt: null });
    expect(res.body.cancelledAt).not.toBeNull();
    const audits = await auditOf(h, e.body.id);
    expect(audits.at(-1)).toMatchObject({
      action: "enrolment.cancel",
      actorId: me.id,
      before: expect.objectContaining({ status: "active" }),
      after: expect.objectContaining({ status: "cancelled" }),
    });
    // The seat is free again.
    expect((await enrol(h, await h.asStudent(), batch.id)).status).toBe(201);
    const twice = await h.post<unknown, Problem>(`/v1/enrolments/${e.body.id}/cancel`, undefined, {
      headers: me.auth,
    });
    expect(twice.status, twice.text).toBe(409);
  });

  it("another student's enrolment, or an unknown id, is 404", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h);
    const [a, b] = [await h.asStudent(), await h.asStudent()];
    const e = await enrol(h, a, batch.id);
    for (const id of [e.body.id, crypto.randomUUID()]) {
      const res = await h.post<unknown, Problem>(`/v1/enrolments/${id}/cancel`, undefined, {
        headers: b.auth,
      });
      expect(res.status, res.text).toBe(404);
    }
    const [row] = await h.db.select().from(enrolments).where(eq(enrolments.id, e.body.id));
    expect(row?.status).toBe("active");
  });

  it("is refused once the batch has started (its start date in its time zone)", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h);
    const me = await h.asStudent();
    const e = await enrol(h, me, batch.id);
    // Today in Kolkata, whatever the UTC date: the batch started at local midnight.
    await adminQuery(
      `UPDATE batches SET start_date = (now() AT TIME ZONE 'Asia/Kolkata')::date, status = 'running'
        WHERE id = $1`,
      [batch.id],
      h.database,
    );
    const res = await h.post<unknown, Problem>(`/v1/enrolments/${e.body.id}/cancel`, undefined, {
      headers: me.auth,
    });
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("CONFLICT");
  });
});

describe("GET /v1/me/enrolments", () => {
  it("lists only the caller's enrolments, newest first, in keyset pages, with course and batch", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asStudent();
    const other = await h.asStudent();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { batch } = await openBatch(h);
      ids.push((await enrol(h, me, batch.id)).body.id);
      await enrol(h, other, batch.id);
    }
    // A batch cancelled after enrolment is still listed (RLS hides it from the public).
    const { course, batch: gone } = await openBatch(h);
    ids.push((await enrol(h, me, gone.id)).body.id);
    await adminQuery(
      "UPDATE batches SET status = 'cancelled' WHERE id = $1",
      [gone.id],
      h.database,
    );

    const seen: EnrolmentView[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Page<EnrolmentView>; text: string } = await h.get<
        Page<EnrolmentView>
      >(`/v1/me/enrolments?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, {
        headers: me.auth,
      });
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.data);
      cursor = res.body.pagination.nextCursor;
    } while (cursor);
    expect(seen.map((e) => e.id)).toEqual([...ids].reverse());
    expect(seen.every((e) => e.userId === me.id)).toBe(true);
    expect(seen[0]).toMatchObject({
      course: { id: course.id, slug: course.slug, title: "A course" },
      batch: { id: gone.id, name: "A batch", status: "cancelled" },
    });
  });
});

describe("POST /v1/admin/batches/{id}/enrolments (grant)", () => {
  it("grants an active seat at no charge, audited with the reason", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { pricePaise: 99_900 });
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const res = await h.post<unknown, EnrolmentView>(
      `/v1/admin/batches/${batch.id}/enrolments`,
      { userId: student.id, reason: "Scholarship 2026" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      userId: student.id,
      status: "active",
      source: "admin_grant",
      pricePaise: 0,
    });
    const [audit] = await auditOf(h, res.body.id);
    expect(audit).toMatchObject({
      action: "enrolment.grant",
      actorId: admin.id,
      after: expect.objectContaining({ grantReason: "Scholarship 2026", overCapacity: false }),
    });
    // The student sees it as theirs.
    const mine = await h.get<Page<EnrolmentView>>("/v1/me/enrolments", { headers: student.auth });
    expect(mine.body.data.map((e) => e.id)).toEqual([res.body.id]);
    // Granting again keeps the seat as it is.
    const again = await h.post<unknown, EnrolmentView>(
      `/v1/admin/batches/${batch.id}/enrolments`,
      { userId: student.id, reason: "Again" },
      { headers: admin.auth },
    );
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(res.body.id);
  });

  it("counts against capacity unless overCapacity is sent; a held seat becomes the grant", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { capacity: 1, pricePaise: 100 });
    const admin = await h.asAdmin("super_admin");
    const holder = await h.asStudent();
    await enrol(h, holder, batch.id);
    const grant = (userId: string, overCapacity?: boolean) =>
      h.post<unknown, EnrolmentView & Problem>(
        `/v1/admin/batches/${batch.id}/enrolments`,
        { userId, reason: "Offline payment", overCapacity },
        { headers: admin.auth },
      );
    // The holder's own held seat is converted, not a second one.
    const converted = await grant(holder.id);
    expect(converted.status, converted.text).toBe(201);
    expect(converted.body).toMatchObject({ status: "active", holdExpiresAt: null });
    const newcomer = await h.asStudent();
    const full = await grant(newcomer.id);
    expect(full.status, full.text).toBe(409);
    expect(full.body.code).toBe("BATCH_FULL");
    const over = await grant(newcomer.id, true);
    expect(over.status, over.text).toBe(201);
    expect(await seatsInDb(h, batch.id)).toBe(2);
  });

  it.for<[string, (h: Harness) => Promise<{ batchId: string; userId: string }>, number]>([
    [
      "an unknown user",
      async (h) => ({ batchId: (await openBatch(h)).batch.id, userId: crypto.randomUUID() }),
      404,
    ],
    [
      "an unknown batch",
      async (h) => ({ batchId: crypto.randomUUID(), userId: (await h.asStudent()).id }),
      404,
    ],
    [
      "an admin account",
      async (h) => ({ batchId: (await openBatch(h)).batch.id, userId: (await h.asAdmin()).id }),
      409,
    ],
    [
      "a disabled student",
      async (h) => ({
        batchId: (await openBatch(h)).batch.id,
        userId: (await h.createUser({ role: "student", status: "disabled" })).id,
      }),
      409,
    ],
    [
      "a cancelled batch",
      async (h) => {
        const c = await insertCourse(h.database);
        const b = await insertBatch(h.database, c.id, { status: "cancelled" });
        return { batchId: b.id, userId: (await h.asStudent()).id };
      },
      409,
    ],
  ])("grant to %s is refused", async ([, setup, status], t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { batchId, userId } = await setup(h);
    const res = await h.post<unknown, Problem>(
      `/v1/admin/batches/${batchId}/enrolments`,
      { userId, reason: "Because" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(status);
  });
});

describe("GET /v1/admin/batches/{id}/roster", () => {
  it("lists every enrolment with name, email, status and attendance percent, in pages", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h, { pricePaise: 100 });
    const admin = await h.asAdmin();
    const a = await h.createUser({ role: "student", fullName: "Asha Rao" });
    const b = await h.createUser({ role: "student", fullName: "Bilal Khan" });
    const c = await h.createUser({ role: "student", fullName: "Chitra Iyer" });
    await insertEnrolment(h.database, a.id, batch.id, { status: "active", pricePaise: 100 });
    await insertEnrolment(h.database, b.id, batch.id, { status: "active", pricePaise: 100 });
    await insertEnrolment(h.database, c.id, batch.id, {
      status: "pending_payment",
      pricePaise: 100,
    });
    const t0 = new Date(Date.now() - 3 * 60 * MIN);
    const at = (m: number) => new Date(t0.getTime() + m * MIN);
    const s = await insertSession(h.database, batch.id, {
      startsAt: t0,
      durationMinutes: 60,
      status: "ended",
      startedAt: t0,
      endedAt: at(60),
    });
    await insertInterval(h.database, s.id, a.id, at(0), at(45));
    await insertInterval(h.database, s.id, b.id, at(0), at(60));

    const first = await h.get<Page<RosterEntryView>>(
      `/v1/admin/batches/${batch.id}/roster?limit=2`,
      { headers: admin.auth },
    );
    expect(first.status, first.text).toBe(200);
    expect(first.body.pagination.hasMore).toBe(true);
    const cursor = encodeURIComponent(first.body.pagination.nextCursor ?? "");
    const second = await h.get<Page<RosterEntryView>>(
      `/v1/admin/batches/${batch.id}/roster?limit=2&cursor=${cursor}`,
      { headers: admin.auth },
    );
    expect(second.status, second.text).toBe(200);
    const roster = [...first.body.data, ...second.body.data];
    expect(roster.map((r) => [r.fullName, r.email, r.status, r.attendance.percent])).toEqual([
      ["Asha Rao", a.email, "active", 75],
      ["Bilal Khan", b.email, "active", 100],
      ["Chitra Iyer", c.email, "pending_payment", 0],
    ]);
    expect(roster[0]?.attendance).toEqual({
      attendedSeconds: 45 * 60,
      heldSeconds: 60 * 60,
      percent: 75,
    });
  });

  it("percent is null before any session is held; an unknown batch is 404", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    await insertEnrolment(h.database, student.id, batch.id);
    const res = await h.get<Page<RosterEntryView>>(`/v1/admin/batches/${batch.id}/roster`, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data[0]?.attendance).toEqual({
      attendedSeconds: 0,
      heldSeconds: 0,
      percent: null,
    });
    const unknown = await h.get(`/v1/admin/batches/${crypto.randomUUID()}/roster`, {
      headers: admin.auth,
    });
    expect(unknown.status, unknown.text).toBe(404);
  });

  it("students may not read a roster or grant seats (403)", async (t) => {
    const h = await Harness.init(t);
    const { batch } = await openBatch(h);
    const student = await h.asStudent();
    expect(
      (await h.get(`/v1/admin/batches/${batch.id}/roster`, { headers: student.auth })).status,
    ).toBe(403);
    const grant = await h.post(
      `/v1/admin/batches/${batch.id}/enrolments`,
      { userId: student.id, reason: "Myself" },
      { headers: student.auth },
    );
    expect(grant.status, grant.text).toBe(403);
  });
});

describe("seats left on the public course page", () => {
  it("counts active seats and live holds, and follows every seat change at once", async (t) => {
    const h = await Harness.init(t);
    const { course, batch } = await openBatch(h, { capacity: 5, pricePaise: 100 });
    const seatsLeft = async () => {
      const res = await h.get<{ batches: { id: string; seatsLeft: number }[] }>(
        `/v1/courses/${course.slug}`,
      );
      expect(res.status, res.text).toBe(200);
      return res.body.batches.find((b) => b.id === batch.id)?.seatsLeft;
    };
    expect(await seatsLeft()).toBe(5);
    const me = await h.asStudent();
    const e = await enrol(h, me, batch.id); // a hold counts
    expect(await seatsLeft()).toBe(4);
    await h.post(`/v1/enrolments/${e.body.id}/cancel`, undefined, { headers: me.auth });
    expect(await seatsLeft()).toBe(5);
    const admin = await h.asAdmin();
    await h.post(
      `/v1/admin/batches/${batch.id}/enrolments`,
      { userId: me.id, reason: "Comp seat" },
      { headers: admin.auth },
    );
    expect(await seatsLeft()).toBe(4);
  });
});
