import type { ClassSession } from "../../../db/schema";
import {
  actionLink,
  type RenderedEmail,
  sessionCancelledEmail,
  sessionRescheduledEmail,
} from "../../../lib/email";
import type { ServiceContext } from "../../../lib/service-context";
import type { Placement } from "./sessions";

export interface Recipient {
  email: string;
  name: string;
}

/** Sends at a time, so a large batch neither floods the provider nor waits one by one. */
const CONCURRENCY = 8;

type Change =
  | { kind: "rescheduled"; previousStartsAt: Date }
  | { kind: "cancelled"; previousStartsAt?: undefined };

/**
 * Emails each student after the change has committed (never inside the transaction), off the
 * response path: every send lands in `email_outbox`; a failed one is logged there and by
 * `waitUntil`, and does not undo the change.
 */
export function notifyStudents(
  ctx: ServiceContext,
  recipients: Recipient[],
  kind: Change["kind"],
  about: { placement: Placement; session: ClassSession; previousStartsAt?: Date },
) {
  if (recipients.length === 0) return;
  const { placement, session } = about;
  const link = actionLink(ctx.config.APP_BASE_URL, "/schedule");
  const render = (r: Recipient): RenderedEmail => {
    const common = {
      name: r.name,
      courseTitle: placement.courseTitle,
      batchName: placement.batchName,
      sessionTitle: session.title,
      timezone: placement.timezone,
      link,
    };
    return kind === "rescheduled"
      ? sessionRescheduledEmail({
          ...common,
          previousStartsAt: about.previousStartsAt ?? session.startsAt,
          startsAt: session.startsAt,
          durationMinutes: session.durationMinutes,
        })
      : sessionCancelledEmail({ ...common, startsAt: session.startsAt });
  };
  const queue = [...recipients];
  let failed = 0;
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      await ctx.sendEmail({ to: r.email, ...render(r) }).catch(() => {
        failed++;
      });
    }
  };
  const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker);
  ctx.waitUntil(
    Promise.all(workers).then(() => {
      // One failure must not stop the others; waitUntil's guard logs the count.
      if (failed > 0) throw new Error(`${failed} class ${kind} emails failed`);
    }),
  );
}
