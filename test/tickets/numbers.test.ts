/**
 * Ticket numbers through the app: `TKT-<IST year>-<6 digits>`, from a per-year counter taken
 * in its own statement before the ticket's transaction. Concurrent openings get distinct
 * numbers; a creation that fails afterwards may leave a gap, never a duplicate.
 */
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ticketCounters, tickets } from "../../src/db/schema";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { insertEnrolment } from "../support/learning";
import { openTicket, type StudentTicket } from "./support";

const istYear = () =>
  Number(
    new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", year: "numeric" }).format(
      new Date(),
    ),
  );

async function counter(h: Harness, year: number) {
  const [row] = await h.db
    .select({ last: ticketCounters.last })
    .from(ticketCounters)
    .where(eq(ticketCounters.year, year));
  return row?.last ?? 0;
}

const create = (h: Harness, student: TestUser, extra: Record<string, unknown> = {}) =>
  h.post<unknown, StudentTicket & { code?: string }>(
    "/v1/tickets",
    {
      subject: "Payment not reflected",
      body: "<p>I paid but the course is locked.</p>",
      category: "payment",
      ...extra,
    },
    { headers: { ...student.auth, "Idempotency-Key": crypto.randomUUID() } },
  );

const seqOf = (number: string) => Number(number.slice(-6));

describe("ticket numbers", () => {
  it("20 concurrent openings get 20 distinct numbers, one counter step each", async (t) => {
    const h = await Harness.init(t);
    const year = istYear();
    const students = await Promise.all(Array.from({ length: 20 }, () => h.asStudent()));
    const before = await counter(h, year);
    const results = await Promise.all(students.map((s) => create(h, s)));
    for (const r of results) expect(r.status, r.text).toBe(201);
    const numbers = results.map((r) => r.body.number);
    expect(new Set(numbers).size).toBe(20);
    const pattern = new RegExp(`^TKT-${year}-\\d{6}$`);
    for (const n of numbers) expect(n).toMatch(pattern);
    // Exactly the counter's next 20 values, nothing skipped or reused.
    const seqs = numbers.map(seqOf).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    expect(await counter(h, year)).toBe(before + 20);
    // The stored columns agree with the number.
    const rows = await h.db
      .select({ number: tickets.number, year: tickets.year, seq: tickets.seq })
      .from(tickets)
      .where(
        inArray(
          tickets.id,
          results.map((r) => r.body.id),
        ),
      );
    expect(rows).toHaveLength(20);
    for (const r of rows) {
      expect(r.year).toBe(year);
      expect(r.number).toBe(`TKT-${year}-${String(r.seq).padStart(6, "0")}`);
    }
  });

  it("one after another, numbers increase with creation order", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const opened: StudentTicket[] = [];
    for (let i = 0; i < 3; i++) opened.push(await openTicket(h, student));
    const seqs = opened.map((o) => seqOf(o.number));
    expect(seqs[1]).toBe((seqs[0] ?? 0) + 1);
    expect(seqs[2]).toBe((seqs[0] ?? 0) + 2);
    const created = opened.map((o) => Date.parse(o.createdAt));
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it("a creation refused after its number was taken leaves a gap, never a duplicate", async (t) => {
    const h = await Harness.init(t);
    const year = istYear();
    const student = await h.asStudent();
    const other = await h.asStudent();
    const course = await insertCourse(h.database, { pricePaise: 0 });
    const batch = await insertBatch(h.database, course.id);
    const theirs = await insertEnrolment(h.database, other.id, batch.id);

    const first = await openTicket(h, student);
    const refused = await create(h, student, { enrolmentId: theirs.id });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.code).toBe("UNPROCESSABLE");
    const next = await openTicket(h, student);
    // The refused one took seq + 1; nobody has it, and nobody took it again.
    expect(seqOf(next.number)).toBe(seqOf(first.number) + 2);
    const gap = `TKT-${year}-${String(seqOf(first.number) + 1).padStart(6, "0")}`;
    expect(await h.db.select().from(tickets).where(eq(tickets.number, gap))).toHaveLength(0);

    // Mixed and concurrent: 10 good, 5 refused. Every good one distinct, none reusing a number.
    const before = await counter(h, year);
    const students = await Promise.all(Array.from({ length: 10 }, () => h.asStudent()));
    const results = await Promise.all([
      ...students.map((s) => create(h, s)),
      ...Array.from({ length: 5 }, () => create(h, student, { enrolmentId: theirs.id })),
    ]);
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(10);
    expect(results.filter((r) => r.status === 422)).toHaveLength(5);
    const seqs = ok.map((r) => seqOf(r.body.number));
    expect(new Set(seqs).size).toBe(10);
    for (const s of seqs) {
      expect(s).toBeGreaterThan(before);
      expect(s).toBeLessThanOrEqual(before + 15);
    }
    expect(await counter(h, year)).toBe(before + 15);
    const dupes = await h.db.execute(
      sql`select number from tickets group by number having count(*) > 1`,
    );
    expect(dupes.rows).toHaveLength(0);
  });
});
