/**
 * The seat functions of migration 0024 at the SQL level, as the Worker's role: what anonymous
 * and students may learn from them (a count for public batches only), and the seat lock.
 */
import { describe, expect, it } from "vitest";
import { insertBatch, insertCourse } from "../support/catalogue";
import { insertEnrolment } from "../support/learning";
import { fileDatabase } from "../support/setup";
import { asRuntime, ENTER, inContext, newUser, signedEntry } from "./support";

describe("batch_seats_taken", () => {
  it("counts active seats and live holds of a public batch for anyone; null for hidden batches", async () => {
    const db = fileDatabase();
    const course = await insertCourse(db, { pricePaise: 100 });
    const batch = await insertBatch(db, course.id);
    const states = [
      { status: "active" as const },
      { status: "pending_payment" as const },
      { status: "pending_payment" as const, holdExpiresAt: new Date(Date.now() - 1000) },
      { status: "cancelled" as const },
      { status: "expired" as const },
    ];
    for (const s of states) {
      await insertEnrolment(db, await newUser(), batch.id, { ...s, pricePaise: 100 });
    }
    const draft = await insertCourse(db, { status: "draft" });
    const hidden = await insertBatch(db, draft.id);
    await insertEnrolment(db, await newUser(), hidden.id);
    const [row] = await inContext({ userId: null, role: "anonymous" }, (q) =>
      q<{ taken: number; hidden: number | null }>(
        "SELECT batch_seats_taken($1) AS taken, batch_seats_taken($2) AS hidden",
        [batch.id, hidden.id],
      ),
    );
    expect(row).toEqual({ taken: 2, hidden: null });
  });
});

describe("batch_lock_seats", () => {
  it("makes a second transaction wait for the first, then counts what it committed", async () => {
    const db = fileDatabase();
    const course = await insertCourse(db, { pricePaise: 0 });
    const batch = await insertBatch(db, course.id);
    const [a, b] = [await newUser(), await newUser()];
    await asRuntime(async (q1) => {
      await q1("BEGIN");
      await q1(ENTER, await signedEntry({ userId: a, role: "student" }));
      const [first] = await q1<{ taken: number }>("SELECT batch_lock_seats($1) AS taken", [
        batch.id,
      ]);
      expect(first?.taken).toBe(0);
      // The second student's lock call waits until the first commits its seat.
      const second = asRuntime(async (q2) => {
        await q2("BEGIN");
        await q2(ENTER, await signedEntry({ userId: b, role: "student" }));
        const [row] = await q2<{ taken: number }>("SELECT batch_lock_seats($1) AS taken", [
          batch.id,
        ]);
        await q2("ROLLBACK");
        return row?.taken;
      });
      let finished = false;
      void second.then(() => {
        finished = true;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(finished).toBe(false);
      await q1(
        `INSERT INTO enrolments (user_id, batch_id, status, price_paise, activated_at)
         VALUES ($1, $2, 'active', 0, now())`,
        [a, batch.id],
      );
      await q1("COMMIT");
      expect(await second).toBe(1);
    });
  });
});
