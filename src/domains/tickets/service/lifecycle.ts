import type { TicketStatus } from "../../../db/schema";
import { AppError } from "../../../lib/errors";

/**
 * The moves an admin may make with PATCH. `open` → `pending` (waiting on the student) or
 * `on_hold` (waiting on a third party) and between them; any of the three → `solved`;
 * `solved` → `open` (reopen) or `closed`. `closed` is final. Students move a ticket only by
 * replying (pending, on_hold or solved within 7 days → open) or closing it (any state but
 * closed → closed); the scheduled job closes what stayed solved for 7 days.
 */
export const ADMIN_NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ["pending", "on_hold", "solved"],
  pending: ["open", "on_hold", "solved"],
  on_hold: ["open", "pending", "solved"],
  solved: ["open", "closed"],
  closed: [],
};

/** How long after `solved` a student's reply reopens the ticket, and the job closes it. */
export const REOPEN_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export const transitionRefused = (
  from: TicketStatus,
  to: TicketStatus,
  allowed: readonly TicketStatus[],
  detail?: string,
) =>
  new AppError({
    code: "CONFLICT",
    detail: detail ?? `A ${from} ticket cannot move to ${to}.`,
    extensions: { currentStatus: from, allowedNextStatuses: allowed },
  });

/** 409 naming the allowed next states unless an admin may move `from` → `to`. */
export function assertAdminMove(from: TicketStatus, to: TicketStatus) {
  if (!ADMIN_NEXT[from].includes(to)) throw transitionRefused(from, to, ADMIN_NEXT[from]);
}

/** Whether a solved ticket is still inside its reopen window at `now`. */
export const withinReopenWindow = (solvedAt: Date | null, now: Date) =>
  solvedAt !== null && now.getTime() - solvedAt.getTime() < REOPEN_WINDOW_MS;
