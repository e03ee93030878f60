/**
 * next_ticket_number() (migrations 0033, 0034) at the SQL level, as the Worker's role: it needs a
 * verified context, numbers are per IST year and distinct, and it holds no hot row for long:
 * a second session is never queued behind the first one's open transaction.
 */
import { describe, expect, it } from "vitest";
import { admin, asRuntime, ENTER, inContext, newUser, signedEntry } from "./support";

type Num = { ticket_year: number; ticket_seq: number };

const istYear = () =>
  Number(
    new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", year: "numeric" }).format(
      new Date(),
    ),
  );

describe("next_ticket_number", () => {
  // Was a hole in 0033 (app_role() is never NULL): migration 0034 requires a student's context.
  it("refuses without a verified context (42501), and takes nothing", async () => {
    const year = istYear();
    const before = await admin<{ last: number }>(
      "SELECT last FROM ticket_counters WHERE year = $1",
      [year],
    );
    const err = await inContext(null, (q) => q("SELECT * FROM next_ticket_number()")).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe("42501");
    expect(String((err as Error).message)).toMatch(/taken by a student/);
    const after = await admin<{ last: number }>(
      "SELECT last FROM ticket_counters WHERE year = $1",
      [year],
    );
    expect(after).toEqual(before);
  });

  it("a forged context (bare set_config) is refused too", async () => {
    const student = await newUser();
    const err = await asRuntime(async (q) => {
      await q("BEGIN");
      try {
        await q(
          "SELECT set_config('app.role', 'student', true), set_config('app.user_id', $1, true)",
          [student],
        );
        return await q("SELECT * FROM next_ticket_number()").catch((e: unknown) => e);
      } finally {
        await q("ROLLBACK");
      }
    });
    expect((err as { code?: string }).code).toBe("42501");
  });

  it("gives the IST year and distinct, increasing numbers to a verified caller", async () => {
    const student = await newUser();
    const rows = await asRuntime(async (q) => {
      await q("BEGIN");
      await q(ENTER, await signedEntry({ userId: student, role: "student" }));
      const out: Num[] = [];
      for (let i = 0; i < 3; i++) {
        const [r] = await q<Num>("SELECT ticket_year, ticket_seq FROM next_ticket_number()");
        if (r) out.push(r);
      }
      await q("COMMIT");
      return out;
    });
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(Number(r.ticket_year)).toBe(istYear());
    const seqs = rows.map((r) => Number(r.ticket_seq));
    expect(seqs[1]).toBe((seqs[0] ?? 0) + 1);
    expect(seqs[2]).toBe((seqs[0] ?? 0) + 2);
    const [counter] = await admin<{ last: number }>(
      "SELECT last FROM ticket_counters WHERE year = $1",
      [istYear()],
    );
    expect(Number(counter?.last)).toBeGreaterThanOrEqual(seqs[2] ?? 0);
  });

  it("called in a session's own statement (as createTicket does), holds nothing afterwards", async () => {
    const [a, b] = [await newUser(), await newUser()];
    await asRuntime(async (q1) => {
      // Autocommit, as the Worker's HTTP path runs it: the counter row is locked for this
      // statement only; the session then opens a long transaction of its own.
      await q1("BEGIN");
      await q1(ENTER, await signedEntry({ userId: a, role: "student" }));
      const [first] = await q1<Num>("SELECT ticket_year, ticket_seq FROM next_ticket_number()");
      await q1("COMMIT");
      await q1("BEGIN");
      await q1(ENTER, await signedEntry({ userId: a, role: "student" }));
      try {
        const second = await asRuntime(async (q2) => {
          await q2("BEGIN");
          await q2("SET LOCAL statement_timeout = '2s'");
          await q2(ENTER, await signedEntry({ userId: b, role: "student" }));
          const [row] = await q2<Num>("SELECT ticket_year, ticket_seq FROM next_ticket_number()");
          await q2("COMMIT");
          return row;
        });
        expect(Number(second?.ticket_seq)).toBe(Number(first?.ticket_seq) + 1);
      } finally {
        await q1("ROLLBACK");
      }
    });
  });

  // The counter row's lock lasts until the caller's transaction ends: the property "never
  // queued behind another opening" holds because createTicket takes the number in its own
  // autocommit statement (the test above), never inside the ticket's transaction.
});
