import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { auditLogs } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { auditValues, JOB_AUDIT } from "../../../lib/audit";

/**
 * One batch of the expiry job: up to `limit` `pending_payment` enrolments whose hold has run out
 * become `expired` (hold cleared, as enrolments_hold_check requires), each audited, in one short
 * transaction. Rows a request has locked (a student renewing one) are skipped, not waited for.
 * Returns how many, and the slugs of the course pages whose seats changed.
 */
export async function expireHoldsBatch(
  db: Database,
  limit: number,
): Promise<{ expired: number; slugs: string[] }> {
  return runAs(db, SYSTEM, async (tx) => {
    const result = await tx.execute<{
      id: string;
      user_id: string;
      batch_id: string;
      slug: string;
    }>(
      sql`with due as (
            select id from enrolments
             where status = 'pending_payment' and hold_expires_at <= now()
             order by hold_expires_at
             limit ${limit}
               for update skip locked
          ), expired as (
            update enrolments e set status = 'expired', hold_expires_at = null, updated_at = now()
              from due where e.id = due.id
            returning e.id, e.user_id, e.batch_id
          )
          select x.id, x.user_id, x.batch_id, c.slug
            from expired x
            join batches b on b.id = x.batch_id
            join courses c on c.id = b.course_id`,
    );
    const rows = result.rows;
    if (rows.length > 0) {
      await tx.insert(auditLogs).values(
        rows.map((r) =>
          auditValues(JOB_AUDIT, {
            action: "enrolment.expire",
            entityType: "enrolment",
            entityId: r.id,
            after: { status: "expired", userId: r.user_id, batchId: r.batch_id },
          }),
        ),
      );
    }
    return { expired: rows.length, slugs: [...new Set(rows.map((r) => r.slug))] };
  });
}
