/**
 * The outbox sweep (every minute, src/index.ts): hands to the Queue every row that committed
 * but was never handed over (the request ended before its hand-over, or the Queue refused it),
 * or whose Queue message was lost. A row is taken when it is queued, due within the Queue's
 * longest delay, not leased by a delivery in flight, and not handed over in the last
 * `STALE_SECONDS` (longer than any retry delay we set while it is due, so a row waiting for
 * its retry is left alone).
 */
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { runAs, SYSTEM } from "../../db/transaction";
import { MAX_QUEUE_DELAY_SECONDS, type NotificationJob } from "./outbox";

export const SWEEP_STALE_SECONDS = 300;
export const SWEEP_BATCH = 500;

export async function sweepOutbox(
  db: Database,
  queue: Queue<NotificationJob>,
  batch = SWEEP_BATCH,
): Promise<number> {
  // Claims the rows (stamping enqueued_at) and hands them over in one transaction: if the
  // hand-over fails the stamp rolls back and the next sweep takes them again.
  return runAs(db, SYSTEM, async (tx) => {
    const rows = await tx.execute<{ id: string; generation: number; delay: number }>(sql`
      update notifications n
         set enqueued_at = greatest(now(), n.not_before)
       where n.id in (
         select id from notifications
          where status = 'queued'
            and not_before <= now() + make_interval(secs => ${MAX_QUEUE_DELAY_SECONDS})
            and (enqueued_at is null or enqueued_at < now() - make_interval(secs => ${SWEEP_STALE_SECONDS}))
            and (locked_until is null or locked_until < now())
          order by not_before
          limit ${batch}
          for update skip locked)
      returning n.id, n.generation, greatest(0, ceil(extract(epoch from n.not_before - now())))::int as delay`);
    const messages = rows.rows.map((r) => ({
      body: { id: r.id, generation: r.generation } satisfies NotificationJob,
      delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, r.delay),
    }));
    for (let i = 0; i < messages.length; i += 100) {
      await queue.sendBatch(messages.slice(i, i + 100));
    }
    return messages.length;
  });
}
