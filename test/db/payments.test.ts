/**
 * Migration 0026 at the SQL level, as the Worker's role: the payment and refund state machines
 * (every transition tried), the financial year and gapless numbering of tax documents, and who
 * may read or write money.
 */
import { describe, expect, it } from "vitest";
import { insertBatch, insertCourse } from "../support/catalogue";
import { insertEnrolment } from "../support/learning";
import { fileDatabase } from "../support/setup";
import { admin, inContext, newUser, type Query } from "./support";

const SYSTEM = { userId: null, role: "system" as const };
const statuses = [
  "created",
  "pending",
  "paid",
  "failed",
  "expired",
  "partially_refunded",
  "refunded",
] as const;
type Status = (typeof statuses)[number];

const allowed = new Set([
  "created>pending",
  "created>failed",
  "created>expired",
  "pending>paid",
  "pending>failed",
  "pending>expired",
  "failed>paid",
  "expired>paid",
  "paid>partially_refunded",
  "paid>refunded",
  "partially_refunded>refunded",
]);

/** The columns a status needs besides itself (paid ones: a payment id and time; refunds). */
function columnsFor(to: Status, n: number): string {
  const paid = `paid_at = now(), provider_payment_id = 'MOJO${n}'`;
  if (to === "paid") return paid;
  if (to === "partially_refunded") return "refunded_paise = 100";
  if (to === "refunded") return "refunded_paise = 1000";
  return "updated_at = now()";
}

/** A path of allowed moves from created to `status`. */
const pathTo: Record<Status, Status[]> = {
  created: [],
  pending: ["pending"],
  paid: ["pending", "paid"],
  failed: ["failed"],
  expired: ["expired"],
  partially_refunded: ["pending", "paid", "partially_refunded"],
  refunded: ["pending", "paid", "refunded"],
};

async function freshPayment(q: Query, enrolmentId: string, userId: string): Promise<string> {
  const [row] = await q<{ id: string }>(
    `INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at)
     VALUES ($1, $2, 1000, 'dev', now() + interval '30 minutes') RETURNING id`,
    [enrolmentId, userId],
  );
  if (!row) throw new Error("insert failed");
  return row.id;
}

async function move(q: Query, id: string, to: Status, n: number) {
  await q(`UPDATE payments SET status = $2, ${columnsFor(to, n)} WHERE id = $1`, [id, to]);
}

async function enrolled() {
  const db = fileDatabase();
  const course = await insertCourse(db, { pricePaise: 1000 });
  const batch = await insertBatch(db, course.id);
  const userId = await newUser();
  const { id } = await insertEnrolment(db, userId, batch.id, {
    status: "pending_payment",
    pricePaise: 1000,
  });
  return { userId, enrolmentId: id };
}

describe("payments_guard", () => {
  it("allows exactly the forward moves of the state machine, for every pair of states", async () => {
    const { userId, enrolmentId } = await enrolled();
    const outcomes: string[] = [];
    let n = 0;
    await inContext(SYSTEM, async (q) => {
      for (const from of statuses) {
        for (const to of statuses) {
          if (from === to) continue;
          n++;
          await q("SAVEPOINT s");
          const id = await freshPayment(q, enrolmentId, userId);
          for (const step of pathTo[from]) await move(q, id, step, n);
          let ok = true;
          try {
            await move(q, id, to, n + 1000);
          } catch {
            ok = false;
          }
          // Each try in its own savepoint, rolled back: one open checkout per enrolment at most.
          await q("ROLLBACK TO SAVEPOINT s");
          outcomes.push(`${from}>${to}:${ok}`);
        }
      }
    });
    const expected = statuses.flatMap((from) =>
      statuses
        .filter((to) => to !== from)
        .map((to) => `${from}>${to}:${allowed.has(`${from}>${to}`)}`),
    );
    expect(outcomes).toEqual(expected);
  });

  it("keeps amount, buyer and settled payment id, starts created, and refunds only grow", async () => {
    const { userId, enrolmentId } = await enrolled();
    const refused = async (sql: string) =>
      inContext(SYSTEM, async (q) => {
        const id = await freshPayment(q, enrolmentId, userId);
        await move(q, id, "pending", 1);
        await move(q, id, "paid", 1);
        await q(
          "UPDATE payments SET status = 'partially_refunded', refunded_paise = 500 WHERE id = $1",
          [id],
        );
        try {
          await q(sql, [id]);
          return false;
        } catch {
          return true;
        }
      });
    expect(await refused("UPDATE payments SET amount_paise = 1 WHERE id = $1")).toBe(true);
    expect(await refused("UPDATE payments SET provider_payment_id = 'MOJOx' WHERE id = $1")).toBe(
      true,
    );
    expect(await refused("UPDATE payments SET refunded_paise = 100 WHERE id = $1")).toBe(true);
    expect(
      await refused("UPDATE payments SET status = 'refunded', refunded_paise = 900 WHERE id = $1"),
    ).toBe(true);
    expect(await refused("UPDATE payments SET refunded_paise = 2000 WHERE id = $1")).toBe(true);
    expect(await refused("UPDATE payments SET review_reason = 'x' WHERE id = $1")).toBe(false);
    const inserted = await inContext(SYSTEM, async (q) => {
      try {
        await q(
          `INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at, status)
           VALUES ($1, $2, 1000, 'dev', now(), 'paid')`,
          [enrolmentId, userId],
        );
        return true;
      } catch {
        return false;
      }
    });
    expect(inserted).toBe(false);
  });

  it("refunds move requested → pending → refunded, or to failed, and never back", async () => {
    const { userId, enrolmentId } = await enrolled();
    const tries = [
      ["requested", "pending", true],
      ["requested", "refunded", true],
      ["requested", "failed", true],
      ["pending", "refunded", true],
      ["pending", "failed", true],
      ["pending", "requested", false],
      ["refunded", "pending", false],
      ["refunded", "failed", false],
      ["failed", "requested", false],
      ["failed", "pending", false],
    ] as const;
    const results = await inContext(SYSTEM, async (q) => {
      const id = await freshPayment(q, enrolmentId, userId);
      await move(q, id, "pending", 7);
      await move(q, id, "paid", 7);
      const out: boolean[] = [];
      for (const [from, to] of tries) {
        await q("SAVEPOINT r");
        const [r] = await q<{ id: string }>(
          `INSERT INTO refunds (payment_id, amount_paise, type, reason, transaction_id)
           VALUES ($1, 100, 'QFL', 'test', $2) RETURNING id`,
          [id, crypto.randomUUID()],
        );
        if (from !== "requested") {
          if (from === "refunded" || from === "failed") {
            await q("UPDATE refunds SET status = $2 WHERE id = $1", [r?.id, from]);
          } else await q("UPDATE refunds SET status = 'pending' WHERE id = $1", [r?.id]);
        }
        let ok = true;
        try {
          await q("UPDATE refunds SET status = $2 WHERE id = $1", [r?.id, to]);
        } catch {
          ok = false;
        }
        await q("ROLLBACK TO SAVEPOINT r");
        out.push(ok);
      }
      return out;
    });
    expect(results).toEqual(tries.map(([, , ok]) => ok));
  });
});

describe("financial_year and next_document_number", () => {
  it("puts 31 March 23:59 IST in the old year and 1 April 00:00 IST in the new one", async () => {
    const [row] = await admin<{ before: string; after: string; jan: string }>(
      `SELECT financial_year('2027-03-31T23:59:59+05:30') AS before,
              financial_year('2027-04-01T00:00:00+05:30') AS after,
              financial_year('2027-01-15T12:00:00Z') AS jan`,
    );
    expect(row).toEqual({ before: "2026-27", after: "2027-28", jan: "2026-27" });
  });

  it("numbers each year's series from 1, consecutively, and a rollback leaves no gap", async () => {
    const numbers = await inContext(SYSTEM, async (q) => {
      const next = async (at: string, kind = "invoice", prefix = "INV") =>
        (
          await q<{ number: string }>("SELECT number FROM next_document_number($1, $2, $3)", [
            kind,
            prefix,
            at,
          ])
        )[0]?.number;
      const out = [
        await next("2027-03-31T23:59:00+05:30"),
        await next("2027-03-31T23:59:30+05:30"),
      ];
      await q("SAVEPOINT gap");
      out.push(`rolled back: ${await next("2027-04-01T00:00:00+05:30")}`);
      await q("ROLLBACK TO SAVEPOINT gap");
      out.push(await next("2027-04-01T00:00:00+05:30"));
      out.push(await next("2027-04-02T10:00:00+05:30"));
      out.push(await next("2027-04-02T10:00:00+05:30", "credit_note", "CN"));
      return out;
    });
    expect(numbers).toEqual([
      "INV/26-27/000001",
      "INV/26-27/000002",
      "rolled back: INV/27-28/000001",
      "INV/27-28/000001",
      "INV/27-28/000002",
      "CN/27-28/000001",
    ]);
    for (const n of numbers.slice(3)) expect(n?.length).toBeLessThanOrEqual(16);
  });

  it("refuses a prefix that would not fit 16 characters", async () => {
    const refused = await inContext(SYSTEM, async (q) => {
      try {
        await q("SELECT next_document_number('invoice', 'ABCD', now())");
        return false;
      } catch {
        return true;
      }
    });
    expect(refused).toBe(true);
  });
});

describe("who may touch money", () => {
  it("students read only their own payments and invoices; only system writes; nobody edits an invoice", async () => {
    const { userId, enrolmentId } = await enrolled();
    const other = await newUser();
    const adminId = await newUser("admin");
    const [p] = await admin<{ id: string }>(
      `INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at)
       VALUES ($1, $2, 1000, 'dev', now() + interval '30 minutes') RETURNING id`,
      [enrolmentId, userId],
    );
    const seen = async (actor: {
      userId: string | null;
      role: "student" | "admin" | "anonymous";
    }) =>
      inContext(
        actor,
        async (q) => (await q("SELECT id FROM payments WHERE id = $1", [p?.id])).length,
      );
    expect(await seen({ userId, role: "student" })).toBe(1);
    expect(await seen({ userId: other, role: "student" })).toBe(0);
    expect(await seen({ userId: null, role: "anonymous" })).toBe(0);
    expect(await seen({ userId: adminId, role: "admin" })).toBe(1);
    for (const actor of [
      { userId, role: "student" as const },
      { userId: adminId, role: "admin" as const },
    ]) {
      const wrote = await inContext(actor, async (q) => {
        try {
          const rows = await q(
            "UPDATE payments SET review_reason = 'x' WHERE id = $1 RETURNING id",
            [p?.id],
          );
          return rows.length > 0;
        } catch {
          return false;
        }
      });
      expect(wrote).toBe(false);
    }
    const edited = await inContext(SYSTEM, async (q) => {
      try {
        await q("UPDATE invoices SET total_paise = 1");
        return true;
      } catch {
        return false;
      }
    });
    expect(edited).toBe(false);
  });
});
