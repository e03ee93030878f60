import { and, asc, eq, inArray } from "drizzle-orm";
import { type Ticket, ticketEvents } from "../../../db/schema";
import type { Reader } from "../../../db/transaction";
import type { AppConfig } from "../../../env";
import {
  atRiskAt,
  dueAt,
  elapsedBusinessMinutes,
  type SlaState,
  type StatusEvent,
  slaState,
} from "../../../lib/business-hours";

type SlaConfig = Pick<AppConfig, "SUPPORT_SLA_TARGETS" | "SUPPORT_HOLIDAYS">;

/** The first-response clock runs until the first public reply; it stops while the student owes an answer or the ticket is done. */
const FIRST_RESPONSE_PAUSED = ["pending", "solved", "closed"] as const;
/** The resolution clock runs while the ticket is open or on hold, and again after a reopen. */
const RESOLUTION_PAUSED = ["pending", "solved", "closed"] as const;

export interface SlaColumns {
  firstResponseDueAt: Date | null;
  firstResponseAtRiskAt: Date | null;
  resolutionDueAt: Date | null;
  resolutionAtRiskAt: Date | null;
}

/** The ticket's status timeline (creation is `open`), oldest first, from its events. */
export async function loadTimeline(db: Reader, ticketId: string): Promise<StatusEvent[]> {
  const rows = await db
    .select({ kind: ticketEvents.kind, data: ticketEvents.data, at: ticketEvents.createdAt })
    .from(ticketEvents)
    .where(
      and(
        eq(ticketEvents.ticketId, ticketId),
        inArray(ticketEvents.kind, ["created", "status_changed"]),
      ),
    )
    .orderBy(asc(ticketEvents.createdAt), asc(ticketEvents.id));
  return rows.map((r) => ({
    at: r.at,
    status: r.kind === "created" ? "open" : String(r.data.to),
  }));
}

/**
 * The deadlines to store after any change that moves a clock (status, priority, first reply):
 * `timeline` must already end with the ticket's status now. A clock that is stopped, or
 * done (first response given), has null deadlines.
 */
export function slaColumns(
  config: SlaConfig,
  ticket: Pick<Ticket, "createdAt" | "priority" | "firstRespondedAt">,
  timeline: readonly StatusEvent[],
): SlaColumns {
  const target = config.SUPPORT_SLA_TARGETS[ticket.priority];
  const cal = config.SUPPORT_HOLIDAYS;
  const start = ticket.createdAt;
  const first = ticket.firstRespondedAt
    ? { due: null, risk: null }
    : {
        due: dueAt(start, target.firstResponse, timeline, cal, FIRST_RESPONSE_PAUSED),
        risk: atRiskAt(start, target.firstResponse, timeline, cal, FIRST_RESPONSE_PAUSED),
      };
  const resolution = {
    due: dueAt(start, target.resolution, timeline, cal, RESOLUTION_PAUSED),
    risk: atRiskAt(start, target.resolution, timeline, cal, RESOLUTION_PAUSED),
  };
  // A stopped clock (no deadline) has no at-risk instant either: the job reads only running ones.
  return {
    firstResponseDueAt: first.due,
    firstResponseAtRiskAt: first.due ? first.risk : null,
    resolutionDueAt: resolution.due,
    resolutionAtRiskAt: resolution.due ? resolution.risk : null,
  };
}

export interface SlaView {
  target: number;
  elapsed: number;
  state: SlaState;
  dueAt: string | null;
}

/** Where both clocks stand at `now`, for one ticket's page (business minutes). */
export function slaView(
  config: SlaConfig,
  ticket: Ticket,
  timeline: readonly StatusEvent[],
  now: Date,
): { firstResponse: SlaView; resolution: SlaView } {
  const target = config.SUPPORT_SLA_TARGETS[ticket.priority];
  const cal = config.SUPPORT_HOLIDAYS;
  const firstUntil = ticket.firstRespondedAt ?? now;
  const firstElapsed = elapsedBusinessMinutes(timeline, firstUntil, cal, FIRST_RESPONSE_PAUSED);
  const resElapsed = elapsedBusinessMinutes(timeline, now, cal, RESOLUTION_PAUSED);
  return {
    firstResponse: {
      target: target.firstResponse,
      elapsed: Math.floor(firstElapsed),
      state: slaState({ target: target.firstResponse, elapsed: firstElapsed }),
      dueAt: ticket.firstResponseDueAt?.toISOString() ?? null,
    },
    resolution: {
      target: target.resolution,
      elapsed: Math.floor(resElapsed),
      state: slaState({ target: target.resolution, elapsed: resElapsed }),
      dueAt: ticket.resolutionDueAt?.toISOString() ?? null,
    },
  };
}
