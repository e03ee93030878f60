/**
 * The catalogue's row-level security and status rules at the SQL level, as the Worker's role
 * (app_runtime) with and without a signed context (migration 0018).
 */
import { describe, expect, it } from "vitest";
import { insertBatch, insertCourse } from "../support/catalogue";
import { fileDatabase } from "../support/setup";
import { inContext, newUser, type Query } from "./support";

const COUNTS = `SELECT
  (SELECT count(*) FROM courses WHERE category = $1)::int AS courses,
  (SELECT count(*) FROM batches b JOIN courses c ON c.id = b.course_id
    WHERE c.category = $1)::int AS batches`;

async function catalogue() {
  const db = fileDatabase();
  const category = `rls-${crypto.randomUUID().slice(0, 8)}`;
  const published = await insertCourse(db, { category });
  const draft = await insertCourse(db, { category, status: "draft" });
  const archived = await insertCourse(db, { category, status: "archived" });
  for (const course of [published, draft, archived]) {
    for (const status of ["scheduled", "running", "completed", "cancelled"] as const) {
      await insertBatch(db, course.id, { status });
    }
  }
  return { category, published, draft, archived };
}

describe("catalogue RLS", () => {
  it("anonymous and students see published courses and their batches that are not cancelled", async () => {
    const { category } = await catalogue();
    const student = await newUser();
    for (const actor of [
      { userId: null, role: "anonymous" as const },
      { userId: student, role: "student" as const },
    ]) {
      const [seen] = await inContext(actor, (q) => q(COUNTS, [category]));
      expect(seen, actor.role).toEqual({ courses: 1, batches: 3 });
    }
  });

  it("admins see every course and batch", async () => {
    const { category } = await catalogue();
    const admin = await newUser("admin");
    const [seen] = await inContext({ userId: admin, role: "admin" }, (q) => q(COUNTS, [category]));
    expect(seen).toEqual({ courses: 3, batches: 12 });
  });

  it("SQL without the Worker's secret sees nothing, published or not", async () => {
    const { category } = await catalogue();
    const [seen] = await inContext(null, (q) => q(COUNTS, [category]));
    expect(seen).toEqual({ courses: 0, batches: 0 });
  });

  it("only admins write; nobody deletes", async () => {
    const { published } = await catalogue();
    const student = await newUser();
    const insert = `INSERT INTO courses (slug, title, summary, category, level, language, price_paise)
      VALUES ('rls-${crypto.randomUUID().slice(0, 8)}', 'x', 'y', 'jee', 'beginner', 'en', 1)`;
    for (const actor of [
      { userId: null, role: "anonymous" as const },
      { userId: student, role: "student" as const },
    ]) {
      await expect(
        inContext(actor, (q) => q(insert)),
        actor.role,
      ).rejects.toThrow(/row-level security/);
      const updated = await inContext(actor, (q) =>
        q("UPDATE courses SET title = 'hijacked' WHERE id = $1 RETURNING id", [published.id]),
      );
      expect(updated, actor.role).toEqual([]);
    }
    const admin = await newUser("admin");
    await inContext({ userId: admin, role: "admin" }, async (q) => {
      await q(insert);
      await expect(q("DELETE FROM courses WHERE id = $1", [published.id])).rejects.toThrow(
        /permission denied/,
      );
    });
  });
});

/** The guard triggers' messages (not some other error). */
const GUARD = /cannot go from|fixed once|set once|starts as|is frozen|stays with|takes no new/;

describe("catalogue rules enforced by the database", () => {
  const asAdmin = async <R>(fn: (q: Query) => Promise<R>) =>
    inContext({ userId: await newUser("admin"), role: "admin" }, fn);

  it("refuses status moves the service refuses, a slug change after draft, a course born published", async () => {
    const { published, archived, draft } = await catalogue();
    const refused: [string, unknown[]][] = [
      ["UPDATE courses SET status = 'draft' WHERE id = $1", [published.id]],
      ["UPDATE courses SET status = 'published' WHERE id = $1", [archived.id]],
      ["UPDATE courses SET slug = 'renamed-live-course' WHERE id = $1", [published.id]],
      ["UPDATE courses SET published_at = now() - interval '1 day' WHERE id = $1", [published.id]],
      [
        `INSERT INTO courses (slug, title, summary, category, level, language, price_paise, status)
         VALUES ('born-published', 'x', 'y', 'jee', 'beginner', 'en', 1, 'published')`,
        [],
      ],
    ];
    for (const [sql, params] of refused) {
      await expect(
        asAdmin((q) => q(sql, params)),
        sql,
      ).rejects.toThrow(GUARD);
    }
    // Allowed: publishing a draft stamps published_at with the database's clock.
    const [row] = await asAdmin((q) =>
      q<{ published_at: Date | null }>(
        "UPDATE courses SET status = 'published' WHERE id = $1 RETURNING published_at",
        [draft.id],
      ),
    );
    expect(row?.published_at).toBeTruthy();
  });

  it("refuses batch moves out of order, edits of a finished batch, batches for an archived course", async () => {
    const db = fileDatabase();
    const { published, archived } = await catalogue();
    const scheduled = await insertBatch(db, published.id);
    const done = await insertBatch(db, published.id, { status: "completed" });
    const refused: [string, unknown[]][] = [
      ["UPDATE batches SET status = 'completed' WHERE id = $1", [scheduled.id]],
      ["UPDATE batches SET capacity = 99 WHERE id = $1", [done.id]],
      ["UPDATE batches SET course_id = $2 WHERE id = $1", [scheduled.id, archived.id]],
      [
        `INSERT INTO batches (course_id, name, start_date, end_date, capacity, enrolment_opens_at,
           enrolment_closes_at) VALUES ($1, 'x', '2027-01-01', '2027-02-01', 10, now(),
           now() + interval '1 day')`,
        [archived.id],
      ],
      [
        `INSERT INTO batches (course_id, name, start_date, end_date, capacity, enrolment_opens_at,
           enrolment_closes_at, status) VALUES ($1, 'x', '2027-01-01', '2027-02-01', 10, now(),
           now() + interval '1 day', 'running')`,
        [published.id],
      ],
    ];
    for (const [sql, params] of refused) {
      await expect(
        asAdmin((q) => q(sql, params)),
        sql,
      ).rejects.toThrow(GUARD);
    }
    const ok = await asAdmin((q) =>
      q("UPDATE batches SET status = 'running' WHERE id = $1 RETURNING id", [scheduled.id]),
    );
    expect(ok).toHaveLength(1);
  });
});
