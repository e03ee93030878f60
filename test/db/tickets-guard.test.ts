/**
 * Migration 0034 at the SQL level: what a student's own context may write to their ticket
 * (reopen within 7 days, close, rate once after solved; nothing else), that a rated ticket
 * reopens, and who may take a ticket number.
 */
import { describe, expect, it } from "vitest";
import { admin, inContext, newUser } from "./support";

let seq = 900_000;
async function ticket(studentId: string, status = "open", solvedDaysAgo?: number) {
  seq += 1;
  const [row] = await admin<{ id: string }>(
    `INSERT INTO tickets (number, year, seq, student_id, subject, category, status, solved_at)
     VALUES (format('TKT-1998-%s', $1::int), 1998, $1, $2, 'Guard', 'other', $3,
             CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END)
     RETURNING id`,
    [seq, studentId, status, solvedDaysAgo ?? null],
  );
  if (!row) throw new Error("insert failed");
  return row.id;
}

const asStudent = (userId: string, sql: string, params: unknown[]) =>
  inContext({ userId, role: "student" }, async (q) => {
    try {
      await q(sql, params);
      return "ok";
    } catch (err) {
      return (err as { code?: string }).code ?? "error";
    }
  });

describe("tickets_guard (0034)", () => {
  it("a student reopens a ticket solved less than 7 days ago, not one solved 7 days ago", async () => {
    const student = await newUser();
    const recent = await ticket(student, "solved", 6);
    const old = await ticket(student, "solved", 8);
    const reopen = "UPDATE tickets SET status = 'open', solved_at = NULL WHERE id = $1";
    expect(await asStudent(student, reopen, [recent])).toBe("ok");
    expect(await asStudent(student, reopen, [old])).toBe("42501");
    expect(
      await asStudent(
        student,
        "UPDATE tickets SET status = 'closed', closed_at = now() WHERE id = $1",
        [old],
      ),
    ).toBe("ok");
  });

  it("a student may not mark their ticket solved, nor set solved_at to rate it", async () => {
    const student = await newUser();
    const id = await ticket(student);
    expect(
      await asStudent(student, "UPDATE tickets SET status = 'solved' WHERE id = $1", [id]),
    ).toBe("42501");
    expect(
      await asStudent(student, "UPDATE tickets SET solved_at = now() WHERE id = $1", [id]),
    ).toBe("42501");
    expect(
      await asStudent(student, "UPDATE tickets SET rating = 5, rated_at = now() WHERE id = $1", [
        id,
      ]),
    ).toBe("23514");
    expect(
      await asStudent(student, "UPDATE tickets SET closed_at = now() WHERE id = $1", [id]),
    ).toBe("42501");
  });

  it("a rated ticket reopens (solved_at cleared) and keeps its one rating", async () => {
    const student = await newUser();
    const id = await ticket(student, "solved", 1);
    await admin("UPDATE tickets SET rating = 4, rated_at = now() WHERE id = $1", [id]);
    await admin("UPDATE tickets SET status = 'open', solved_at = NULL WHERE id = $1", [id]);
    const [row] = await admin<{ rating: number; solved_at: Date | null }>(
      "SELECT rating, solved_at FROM tickets WHERE id = $1",
      [id],
    );
    expect(row).toEqual({ rating: 4, solved_at: null });
    await expect(admin("UPDATE tickets SET rating = 5 WHERE id = $1", [id])).rejects.toThrow(
      /rated once/,
    );
  });

  it("only a student's context takes ticket numbers", async () => {
    const take = (actor: Parameters<typeof inContext>[0]) =>
      inContext(actor, async (q) => {
        try {
          await q("SELECT * FROM next_ticket_number()");
          return "ok";
        } catch (err) {
          return (err as { code?: string }).code ?? "error";
        }
      });
    expect(await take({ userId: await newUser(), role: "student" })).toBe("ok");
    expect(await take({ userId: await newUser("admin"), role: "admin" })).toBe("42501");
    expect(await take(null)).toBe("42501");
  });

  it("numbers past 999999 keep all their digits", async () => {
    const student = await newUser();
    await expect(
      admin(
        `INSERT INTO tickets (number, year, seq, student_id, subject, category)
         VALUES ('TKT-1997-1000000', 1997, 1000000, $1, 'Big', 'other')`,
        [student],
      ),
    ).resolves.toBeDefined();
  });
});
