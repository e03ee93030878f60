import type { ClassSession } from "../../../db/schema";
import { JOIN_OPENS_MINUTES_BEFORE, type SessionView } from "../schemas";

const MINUTE = 60_000;
const iso = (d: Date) => d.toISOString();

export const endsAt = (s: Pick<ClassSession, "startsAt" | "durationMinutes">) =>
  new Date(s.startsAt.getTime() + s.durationMinutes * MINUTE);

export function toSessionView(s: ClassSession): SessionView {
  return {
    id: s.id,
    batchId: s.batchId,
    title: s.title,
    startsAt: iso(s.startsAt),
    endsAt: iso(endsAt(s)),
    durationMinutes: s.durationMinutes,
    status: s.status,
    zoomMeetingId: s.zoomMeetingId,
    startedAt: s.startedAt ? iso(s.startedAt) : null,
    endedAt: s.endedAt ? iso(s.endedAt) : null,
    cancelledAt: s.cancelledAt ? iso(s.cancelledAt) : null,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

/** Audit snapshots leave out the join URL (it carries the meeting's passcode). */
export function auditSession(s: ClassSession): Record<string, unknown> {
  const { joinUrl: _j, createdAt: _c, updatedAt: _u, ...rest } = s;
  return rest;
}

export interface JoinWindow {
  opensAt: Date;
  /** null: a live class with no end reported yet (it may run over its schedule). */
  closesAt: Date | null;
}

/**
 * From 15 minutes before the start until the end: the reported end once Zoom says it ended, no
 * end while Zoom says it is live (a class may run over), else the scheduled end.
 */
export function joinWindow(
  s: Pick<ClassSession, "startsAt" | "durationMinutes" | "status" | "endedAt">,
): JoinWindow {
  const opensAt = new Date(s.startsAt.getTime() - JOIN_OPENS_MINUTES_BEFORE * MINUTE);
  if (s.status === "live") return { opensAt, closesAt: s.endedAt };
  if (s.status === "ended") return { opensAt, closesAt: s.endedAt ?? endsAt(s) };
  return { opensAt, closesAt: endsAt(s) };
}

/** Whether an enrolled student may join `s` at `now` (never a cancelled or ended session). */
export function isJoinable(
  s: Pick<ClassSession, "startsAt" | "durationMinutes" | "status" | "endedAt">,
  now: number,
): boolean {
  if (s.status !== "scheduled" && s.status !== "live") return false;
  const { opensAt, closesAt } = joinWindow(s);
  return opensAt.getTime() <= now && (closesAt === null || now < closesAt.getTime());
}
