import type { ClassSession } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import { actionLink } from "../../../lib/notifications/links";
import type { ServiceContext } from "../../../lib/service-context";
import type { Placement } from "./sessions";

export interface Recipient {
  userId: string;
  email: string;
  name: string;
}

export type ScheduleChange =
  | {
      kind: "rescheduled";
      /** The class as it was before this change (its `updatedAt` names the change). */
      before: ClassSession;
    }
  | { kind: "cancelled" };

/**
 * Queues one `schedule_change` email per enrolled student in `tx`, the transaction that changes
 * the class: a change that rolls back tells nobody, and one that commits tells everyone (the
 * outbox delivers and retries; a failed send never undoes the change).
 *
 * The dedupe key names the change and the student, so the same change never queues a student's
 * notice twice: a cancellation happens once; a reschedule is named by the version of the class
 * it replaced (`updatedAt` before the change, which the reschedule checks under its lock).
 */
export async function queueScheduleChange(
  tx: Transaction,
  ctx: Pick<ServiceContext, "outbox" | "config">,
  recipients: Recipient[],
  change: ScheduleChange,
  about: { placement: Placement; session: ClassSession },
): Promise<void> {
  const { placement, session } = about;
  const link = actionLink(ctx.config.APP_BASE_URL, "/schedule");
  const cause =
    change.kind === "rescheduled"
      ? `schedule_change:${session.id}:rescheduled:${change.before.updatedAt.getTime()}`
      : `schedule_change:${session.id}:cancelled`;
  for (const r of recipients) {
    const common = {
      name: r.name,
      courseTitle: placement.courseTitle,
      batchName: placement.batchName,
      sessionTitle: session.title,
      timeZone: placement.timezone,
      link,
      startsAt: session.startsAt.toISOString(),
    };
    await ctx.outbox.add(tx, {
      channel: "email",
      to: r.email,
      template: "schedule_change",
      variables:
        change.kind === "rescheduled"
          ? {
              change: "rescheduled",
              ...common,
              previousStartsAt: change.before.startsAt.toISOString(),
              durationMinutes: session.durationMinutes,
            }
          : { change: "cancelled", ...common },
      transactional: true,
      dedupeKey: `${cause}:${r.userId}`,
      userId: r.userId,
    });
  }
}
