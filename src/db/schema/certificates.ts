import { sql } from "drizzle-orm";
import {
  check,
  date,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { batches } from "./batches";
import { tz } from "./columns";
import { courses } from "./courses";
import { enrolments } from "./enrolments";
import { users } from "./users";

export const certificateSources = ["rule", "manual"] as const;
export const revocationReasons = [
  "issued_in_error",
  "misconduct",
  "payment_reversed",
  "identity_mismatch",
  "other",
] as const;
export type RevocationReason = (typeof revocationReasons)[number];

/**
 * A certificate as issued: what it says (the printed name, course, batch, dates, attendance,
 * issuer) is copied in and never changes; revocation is final (certificates_guard, migration
 * 0028). `version` grows with every change anyone may see (revocation), so cached copies
 * (verify answers, PDF bytes) are keyed by it.
 */
export const certificates = pgTable(
  "certificates",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Canonical Crockford base32 with its check symbol (src/lib/certificates/code.ts). */
    code: text().notNull(),
    enrolmentId: uuid("enrolment_id")
      .notNull()
      .references(() => enrolments.id, { onDelete: "restrict" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    batchId: uuid("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "restrict" }),
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "restrict" }),
    printedName: text("printed_name").notNull(),
    courseTitle: text("course_title").notNull(),
    batchName: text("batch_name").notNull(),
    startDate: date("start_date", { mode: "string" }).notNull(),
    endDate: date("end_date", { mode: "string" }).notNull(),
    /** Attendance when issued (floor %); null when the batch held no class. */
    attendancePct: integer("attendance_pct"),
    issuerName: text("issuer_name").notNull(),
    source: text({ enum: certificateSources }).notNull(),
    /** Why an admin issued it outside the rule (manual only). */
    manualReason: text("manual_reason"),
    issuedBy: uuid("issued_by"),
    issuedAt: timestamp("issued_at", tz).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", tz),
    revokedBy: uuid("revoked_by"),
    revocationReason: text("revocation_reason", { enum: revocationReasons }),
    revocationNote: text("revocation_note"),
    version: integer().notNull().default(1),
  },
  (t) => [
    uniqueIndex("certificates_code_key").on(t.code),
    // One standing certificate per enrolment: issuing again issues nothing twice; a revoked
    // one may be followed by a new one.
    uniqueIndex("certificates_enrolment_standing_idx")
      .on(t.enrolmentId)
      .where(sql`${t.revokedAt} is null`),
    check("certificates_source_check", sql`${t.source} in ('rule', 'manual')`),
    check(
      "certificates_manual_reason_check",
      sql`(${t.source} = 'manual') = (${t.manualReason} is not null)`,
    ),
    check(
      "certificates_revocation_check",
      sql`(${t.revokedAt} is null) = (${t.revocationReason} is null)`,
    ),
    check(
      "certificates_reason_check",
      sql`${t.revocationReason} in ('issued_in_error', 'misconduct', 'payment_reversed', 'identity_mismatch', 'other')`,
    ),
    check("certificates_attendance_check", sql`${t.attendancePct} between 0 and 100`),
    // GET /v1/me/certificates, newest first.
    index("certificates_user_issued_idx").on(t.userId, t.issuedAt.desc(), t.id.desc()),
    // GET /v1/admin/certificates (all, or one batch), newest first.
    index("certificates_issued_idx").on(t.issuedAt.desc(), t.id.desc()),
    index("certificates_batch_issued_idx").on(t.batchId, t.issuedAt.desc(), t.id.desc()),
  ],
);
export type Certificate = typeof certificates.$inferSelect;
