/**
 * Migration 0028 at the SQL level: an issued certificate never changes what it says, revocation
 * is one-way and records who, and students read only their own.
 */
import { describe, expect, it } from "vitest";
import { newCertificateCode } from "../../src/lib/certificates/code";
import { insertBatch, insertCourse } from "../support/catalogue";
import { insertEnrolment } from "../support/learning";
import { fileDatabase } from "../support/setup";
import { admin, inContext, newUser } from "./support";

const SYSTEM = { userId: null, role: "system" as const };

async function certificate() {
  const db = fileDatabase();
  const course = await insertCourse(db);
  const batch = await insertBatch(db, course.id, { status: "completed" });
  const userId = await newUser();
  const enrolment = await insertEnrolment(db, userId, batch.id);
  const [row] = await admin<{ id: string }>(
    `INSERT INTO certificates (code, enrolment_id, user_id, batch_id, course_id, printed_name,
       course_title, batch_name, start_date, end_date, attendance_pct, issuer_name, source)
     VALUES ($1, $2, $3, $4, $5, 'Asha', 'Course', 'Batch', '2026-01-01', '2026-02-01', 90,
             'Issuer', 'rule') RETURNING id`,
    [newCertificateCode(), enrolment.id, userId, batch.id, course.id],
  );
  if (!row) throw new Error("insert failed");
  return { id: row.id, userId };
}

const refused = (sql: string, params: unknown[]) =>
  inContext(SYSTEM, async (q) => {
    try {
      await q(sql, params);
      return false;
    } catch {
      return true;
    }
  });

describe("certificates_guard", () => {
  it("refuses changing what a certificate says, and an un-revocation; allows one revocation", async () => {
    const c = await certificate();
    expect(
      await refused("UPDATE certificates SET printed_name = 'Someone' WHERE id = $1", [c.id]),
    ).toBe(true);
    expect(
      await refused("UPDATE certificates SET attendance_pct = 100 WHERE id = $1", [c.id]),
    ).toBe(true);
    // A revocation must say who and bump the version.
    expect(
      await refused(
        "UPDATE certificates SET revoked_at = now(), revocation_reason = 'other' WHERE id = $1",
        [c.id],
      ),
    ).toBe(true);
    const revoke =
      "UPDATE certificates SET revoked_at = now(), revocation_reason = 'other', revoked_by = $2, version = version + 1 WHERE id = $1";
    expect(await refused(revoke, [c.id, c.userId])).toBe(false);
    await admin(revoke, [c.id, c.userId]);
    expect(
      await refused(
        "UPDATE certificates SET revoked_at = NULL, revocation_reason = NULL WHERE id = $1",
        [c.id],
      ),
    ).toBe(true);
  });

  it("students read only their own certificates and write none", async () => {
    const c = await certificate();
    const other = await newUser();
    const seen = (userId: string) =>
      inContext(
        { userId, role: "student" },
        async (q) => (await q("SELECT id FROM certificates WHERE id = $1", [c.id])).length,
      );
    expect(await seen(c.userId)).toBe(1);
    expect(await seen(other)).toBe(0);
    const wrote = await inContext({ userId: c.userId, role: "student" }, async (q) => {
      try {
        return (
          await q("UPDATE certificates SET revocation_note = 'x' WHERE id = $1 RETURNING id", [
            c.id,
          ])
        ).length;
      } catch {
        return 0;
      }
    });
    expect(wrote).toBe(0);
  });
});
