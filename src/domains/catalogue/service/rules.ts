import type { BatchStatus, CourseStatus } from "../../../db/schema";
import { AppError } from "../../../lib/errors";

/** Where each status may go next (the database enforces the same: migration 0018). */
export const courseTransitions: Record<CourseStatus, readonly CourseStatus[]> = {
  // A draft that will never run may be archived without being published.
  draft: ["published", "archived"],
  published: ["archived"],
  archived: [],
};

export const batchTransitions: Record<BatchStatus, readonly BatchStatus[]> = {
  scheduled: ["running", "cancelled"],
  running: ["completed", "cancelled"],
  completed: [],
  cancelled: [],
};

/** 409 naming the current status and the ones allowed next. */
export function transitionConflict<S extends string>(
  entity: "course" | "batch",
  from: S,
  to: S,
  allowed: readonly S[],
): AppError {
  const next = allowed.length > 0 ? allowed.join(" or ") : "nothing: it is final";
  return new AppError({
    code: "CONFLICT",
    detail: `A ${from} ${entity} cannot become ${to}; it can become ${next}.`,
    extensions: { status: from, requested: to, allowedStatuses: [...allowed] },
  });
}

/** Throws the 409 unless `from → to` is allowed (staying put is not a transition). */
export function assertTransition<S extends string>(
  entity: "course" | "batch",
  transitions: Record<S, readonly S[]>,
  from: S,
  to: S | undefined,
) {
  if (to === undefined || to === from) return;
  if (!transitions[from].includes(to))
    throw transitionConflict(entity, from, to, transitions[from]);
}
