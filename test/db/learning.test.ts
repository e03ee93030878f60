/**
 * Learning's row-level security, the rules a student's own enrolment writes must follow, and
 * the attendance arithmetic (batch_attendance), at the SQL level as the Worker's role.
 */
import { describe, expect, it } from "vitest";
import { insertBatch, insertCourse } from "../support/catalogue";
import { insertEnrolment, insertInterval, insertSession } from "../support/learning";
import { fileDatabase } from "../support/setup";
import { admin, inContext, newUser } from "./support";

const MIN = 60_000;

async function paidBatch(pricePaise = 99_900) {
  const course = await insertCourse(fileDatabase(), { pricePaise });
  return insertBatch(fileDatabase(), course.id);
}

describe("learning RLS", () => {
  it("a student sees only their own enrolments, and sessions and recordings only with an active one", async () => {
    const db = fileDatabase();
    const batch = await paidBatch();
    const [mine, other, pending] = [await newUser(), await newUser(), await newUser()];
    await insertEnrolment(db, mine, batch.id, { status: "active" });
    await insertEnrolment(db, other, batch.id, { status: "active" });
    await insertEnrolment(db, pending, batch.id, { status: "pending_payment", pricePaise: 99_900 });
    const session = await insertSession(db, batch.id);
    await admin(`INSERT INTO recordings (session_id, zoom_meeting_uuid) VALUES ($1, $2)`, [
      session.id,
      crypto.randomUUID(),
    ]);
    const seen = (userId: string) =>
      inContext({ userId, role: "student" }, async (q) => {
        const [row] = await q<{ e: number; s: number; r: number }>(
          `SELECT (SELECT count(*) FROM enrolments WHERE batch_id = $1)::int AS e,
                  (SELECT count(*) FROM class_sessions WHERE batch_id = $1)::int AS s,
                  (SELECT count(*) FROM recordings WHERE session_id = $2)::int AS r`,
          [batch.id, session.id],
        );
        return row;
      });
    expect(await seen(mine)).toEqual({ e: 1, s: 1, r: 1 });
    expect(await seen(pending)).toEqual({ e: 1, s: 0, r: 0 });
    expect(await seen(await newUser())).toEqual({ e: 0, s: 0, r: 0 });
    const adminId = await newUser("admin");
    const [all] = await inContext({ userId: adminId, role: "admin" }, (q) =>
      q(`SELECT count(*)::int AS e FROM enrolments WHERE batch_id = $1`, [batch.id]),
    );
    expect(all).toEqual({ e: 3 });
    const [none] = await inContext(null, (q) =>
      q(`SELECT count(*)::int AS e FROM enrolments WHERE batch_id = $1`, [batch.id]),
    );
    expect(none).toEqual({ e: 0 });
  });

  it("the public sees a batch's next class time through batch_next_session_at, and no more", async () => {
    const db = fileDatabase();
    const batch = await paidBatch();
    await insertSession(db, batch.id, { startsAt: new Date(Date.now() - 3 * 60 * MIN) });
    const next = new Date(Date.now() + 2 * 60 * MIN);
    next.setMilliseconds(0);
    await insertSession(db, batch.id, { startsAt: next });
    await insertSession(db, batch.id, {
      startsAt: new Date(Date.now() + 60 * MIN),
      status: "cancelled",
    });
    const draft = await insertCourse(db, { status: "draft" });
    const hidden = await insertBatch(db, draft.id);
    await insertSession(db, hidden.id);
    const [row] = await inContext({ userId: null, role: "anonymous" }, (q) =>
      q<{ next: Date | null; hidden: Date | null; rows: number }>(
        `SELECT batch_next_session_at($1) AS next, batch_next_session_at($2) AS hidden,
                (SELECT count(*) FROM class_sessions WHERE batch_id = $1)::int AS rows`,
        [batch.id, hidden.id],
      ),
    );
    expect(row?.next?.toISOString()).toBe(next.toISOString());
    expect(row?.hidden).toBeNull();
    expect(row?.rows).toBe(0);
  });
});

describe("a student's own enrolment writes", () => {
  const attempt = (userId: string, sql: string, params: unknown[]) =>
    inContext({ userId, role: "student" }, async (q) => {
      try {
        await q(sql, params);
        return "ok";
      } catch (err) {
        return (err as { code?: string }).code ?? "error";
      }
    });
  const INSERT = `INSERT INTO enrolments (user_id, batch_id, status, price_paise, hold_expires_at)
                  VALUES ($1, $2, $3, $4, $5)`;

  it("may hold a paid seat for 30 minutes at the batch's price, not take it active or cheaper", async () => {
    const batch = await paidBatch(50_000);
    const me = await newUser();
    const hold = new Date(Date.now() + 30 * MIN);
    expect(await attempt(me, INSERT, [me, batch.id, "pending_payment", 50_000, hold])).toBe("ok");
    expect(await attempt(me, INSERT, [me, batch.id, "active", 50_000, null])).toBe("42501");
    expect(await attempt(me, INSERT, [me, batch.id, "pending_payment", 1, hold])).toBe("42501");
    const tooLong = new Date(Date.now() + 120 * MIN);
    expect(await attempt(me, INSERT, [me, batch.id, "pending_payment", 50_000, tooLong])).toBe(
      "42501",
    );
    // Someone else's row: row-level security refuses it.
    const other = await newUser();
    expect(await attempt(me, INSERT, [other, batch.id, "pending_payment", 50_000, hold])).toBe(
      "42501",
    );
  });

  it("may take a free seat active", async () => {
    const batch = await paidBatch(0);
    const me = await newUser();
    expect(await attempt(me, INSERT, [me, batch.id, "active", 0, null])).toBe("ok");
  });

  it("may give a seat back, but not activate a held one or move it to another batch", async () => {
    const db = fileDatabase();
    const batch = await paidBatch(50_000);
    const elsewhere = await paidBatch(50_000);
    const me = await newUser();
    const e = await insertEnrolment(db, me, batch.id, {
      status: "pending_payment",
      pricePaise: 50_000,
    });
    const activate = `UPDATE enrolments SET status = 'active', hold_expires_at = NULL WHERE id = $1`;
    expect(await attempt(me, activate, [e.id])).toBe("42501");
    expect(
      await attempt(me, `UPDATE enrolments SET batch_id = $2 WHERE id = $1`, [e.id, elsewhere.id]),
    ).toBe("42501");
    expect(
      await attempt(
        me,
        `UPDATE enrolments SET status = 'cancelled', hold_expires_at = NULL, cancelled_at = now()
          WHERE id = $1`,
        [e.id],
      ),
    ).toBe("ok");
  });
});

describe("batch_attendance", () => {
  it("sums each student's union of intervals inside held sessions, rounds down, keeps strangers out", async () => {
    const db = fileDatabase();
    const batch = await paidBatch();
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    for (const u of [a, b, c]) await insertEnrolment(db, u, batch.id);
    const t0 = new Date(Date.now() - 5 * 60 * MIN);
    const at = (m: number) => new Date(t0.getTime() + m * MIN);
    // Held: 60 min, the meeting really ran t0..t0+60.
    const s1 = await insertSession(db, batch.id, {
      startsAt: t0,
      durationMinutes: 60,
      status: "ended",
      startedAt: t0,
      endedAt: at(60),
    });
    // Held by the clock (no events), 40 min scheduled from t0+120.
    const s2 = await insertSession(db, batch.id, { startsAt: at(120), durationMinutes: 40 });
    // Cancelled and future sessions do not count.
    await insertSession(db, batch.id, {
      startsAt: at(200),
      durationMinutes: 60,
      status: "cancelled",
    });
    await insertSession(db, batch.id, { startsAt: new Date(Date.now() + 60 * MIN) });

    // a: drops and rejoins with an overlapping duplicate, and joins early (clipped to the window).
    await insertInterval(db, s1.id, a, at(-10), at(20));
    await insertInterval(db, s1.id, a, at(10), at(30));
    await insertInterval(db, s1.id, a, at(40), null); // still open: ends with the window (60)
    await insertInterval(db, s2.id, a, at(120), at(160));
    // b: 30 minutes of s1 only.
    await insertInterval(db, s1.id, b, at(0), at(30));
    // A stranger's whole-session presence is credited to nobody.
    await insertInterval(db, s1.id, null, at(0), at(60), "guest");

    const rows = await admin<{
      user_id: string;
      attended_seconds: string;
      held_seconds: string;
      percent: number | null;
    }>(`SELECT * FROM batch_attendance($1)`, [batch.id]);
    const by = Object.fromEntries(rows.map((r) => [r.user_id, r]));
    // a: s1 = 0..30 ∪ 40..60 = 50 min; s2 = 40 min → 90 of 100 min.
    expect(Number(by[a]?.attended_seconds)).toBe(90 * 60);
    expect(Number(by[a]?.held_seconds)).toBe(100 * 60);
    expect(by[a]?.percent).toBe(90);
    expect(by[b]?.percent).toBe(30);
    expect(by[c]?.percent).toBe(0);
    expect(rows).toHaveLength(3);

    // 74.99% is not 75%: b gets 44 min 59 s more in s2 → 74m59s of 100m.
    await insertInterval(db, s2.id, b, at(120), new Date(at(164).getTime() + 59_000));
    const [after] = await admin<{ percent: number }>(
      `SELECT percent FROM batch_attendance($1) WHERE user_id = $2`,
      [batch.id, b],
    );
    expect(after?.percent).toBe(70);
  });

  it("is null while no session has been held, and a student sees only their own row", async () => {
    const db = fileDatabase();
    const batch = await paidBatch();
    const [a, b] = [await newUser(), await newUser()];
    for (const u of [a, b]) await insertEnrolment(db, u, batch.id);
    await insertSession(db, batch.id);
    const rows = await inContext({ userId: a, role: "student" }, (q) =>
      q<{ user_id: string; percent: number | null }>(`SELECT * FROM batch_attendance($1)`, [
        batch.id,
      ]),
    );
    expect(rows).toEqual([expect.objectContaining({ user_id: a, percent: null })]);
  });
});
