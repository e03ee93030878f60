/**
 * Class reminders (every minute, src/jobs/minutely.ts): an email to each seated student of a
 * class that starts within the next hour, once. The dedupe key (`reminder:<session>:<student>`)
 * makes the overlapping windows of consecutive runs, and a session moved back into the window,
 * add nothing twice; a class rescheduled later is reminded again at its new time.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { runAs, SYSTEM } from "../db/transaction";
import type { AppConfig } from "../env";
import type { Outbox } from "../lib/notifications/outbox";

/** Reminders go out for classes starting between now and this many minutes from now. */
export const REMINDER_LEAD_MINUTES = 60;

export async function queueClassReminders(
  db: Database,
  outbox: Outbox,
  config: Pick<AppConfig, "APP_BASE_URL">,
): Promise<number> {
  return runAs(db, SYSTEM, async (tx) => {
    const due = await tx.execute<{
      session_id: string;
      starts_at: string;
      duration_minutes: number;
      session_title: string;
      batch_name: string;
      timezone: string;
      course_title: string;
      user_id: string;
      email: string;
      full_name: string;
    }>(sql`
      select s.id as session_id, s.starts_at, s.duration_minutes, s.title as session_title,
             b.name as batch_name, b.timezone, c.title as course_title,
             u.id as user_id, u.email, u.full_name
        from class_sessions s
        join batches b on b.id = s.batch_id
        join courses c on c.id = b.course_id
        join enrolments e on e.batch_id = b.id and e.status = 'active'
        join users u on u.id = e.user_id and u.status = 'active'
       where s.status = 'scheduled'
         and s.starts_at > now()
         and s.starts_at <= now() + make_interval(mins => ${REMINDER_LEAD_MINUTES})
         and not exists (
           select 1 from notifications n
            where n.dedupe_key = 'reminder:' || s.id || ':' || floor(extract(epoch from s.starts_at))::bigint || ':' || u.id)
       limit 2000`);
    let queued = 0;
    for (const r of due.rows) {
      const startsAt = new Date(r.starts_at);
      const result = await outbox.add(tx, {
        channel: "email",
        to: r.email,
        template: "class_reminder",
        variables: {
          name: r.full_name,
          courseTitle: r.course_title,
          batchName: r.batch_name,
          sessionTitle: r.session_title,
          link: new URL("/schedule", config.APP_BASE_URL).toString(),
          timeZone: r.timezone,
          startsAt: startsAt.toISOString(),
          durationMinutes: r.duration_minutes,
        },
        transactional: true,
        userId: r.user_id,
        // The start time is part of the key: a class moved later is reminded at its new time.
        dedupeKey: `reminder:${r.session_id}:${Math.floor(startsAt.getTime() / 1000)}:${r.user_id}`,
      });
      if (result.status === "queued" && !result.duplicate) queued++;
    }
    return queued;
  });
}
