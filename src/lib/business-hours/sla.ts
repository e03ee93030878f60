/**
 * Support-ticket SLA clocks in business time: targets per priority, the clock over a ticket's
 * status timeline (stopped while it waits on the student), deadlines and the ok / at-risk /
 * breached state.
 *
 * For a scheduled job: store `dueAt` and `atRiskAt` on the ticket whenever its status changes
 * (both null while the clock is stopped), and each run is a plain comparison with now —
 * breached when `now >= dueAt`, at risk when `now >= atRiskAt` — with no calendar arithmetic per
 * ticket per run. `slaState({ target, elapsed })` gives the same answer from elapsed minutes,
 * for a page that shows one ticket.
 */
import * as z from "zod";
import {
  addBusinessMs,
  BUSINESS_DAY_MINUTES,
  type BusinessCalendar,
  BusinessHoursConfigError,
  businessMsBetween,
  type CompiledCalendar,
  compileCalendar,
  instantOf,
  minutesToMs,
  msToMinutes,
} from "./calendar";

export const TICKET_PRIORITIES = ["urgent", "high", "normal", "low"] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** Business minutes to the first reply and to resolution. */
export interface SlaTarget {
  readonly firstResponse: number;
  readonly resolution: number;
}
export type SlaTargets = Readonly<Record<TicketPriority, SlaTarget>>;

const HOUR = 60;
const DAY = BUSINESS_DAY_MINUTES;

function freezeTargets(targets: Record<TicketPriority, SlaTarget>): SlaTargets {
  for (const p of TICKET_PRIORITIES) Object.freeze(targets[p]);
  return Object.freeze(targets);
}

/** The defaults, in business minutes ("1 day" = one 9-hour working day). */
export const SLA_TARGETS: SlaTargets = freezeTargets({
  urgent: { firstResponse: 1 * HOUR, resolution: 8 * HOUR }, // 60 / 480
  high: { firstResponse: 4 * HOUR, resolution: 2 * DAY }, // 240 / 1080
  normal: { firstResponse: 8 * HOUR, resolution: 5 * DAY }, // 480 / 2700
  low: { firstResponse: 2 * DAY, resolution: 10 * DAY }, // 1080 / 5400
});

/** A target over 100 working days is taken for a mistake (seconds or hours for minutes). */
export const MAX_TARGET_MINUTES = 100 * DAY;

const targetMinutes = z
  .number()
  .int("must be a whole number of business minutes")
  .positive("must be more than 0 business minutes")
  .max(MAX_TARGET_MINUTES, `must be at most ${MAX_TARGET_MINUTES} business minutes (100 days)`);

const targetOverride = z.strictObject({
  firstResponse: targetMinutes.optional(),
  resolution: targetMinutes.optional(),
});

const targetsOverride = z.strictObject({
  urgent: targetOverride.optional(),
  high: targetOverride.optional(),
  normal: targetOverride.optional(),
  low: targetOverride.optional(),
});

/**
 * SLA targets from configuration: JSON overriding some of the defaults, in business minutes,
 * e.g. `{"urgent":{"firstResponse":30},"low":{"resolution":8100}}`; what it leaves out keeps its
 * default. Unset or blank gives the defaults. Refused with a `BusinessHoursConfigError`: text
 * that is not JSON, unknown priorities or fields (a typo would otherwise be ignored), targets
 * that are not whole positive minutes up to 100 working days, and a first-response target
 * longer than the resolution target of the same priority.
 */
export function parseSlaTargets(json: string | undefined): SlaTargets {
  if (json === undefined || json.trim() === "") return SLA_TARGETS;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new BusinessHoursConfigError(
      `SLA targets are not valid JSON: ${(error as Error).message}`,
    );
  }
  const parsed = targetsOverride.safeParse(value);
  if (!parsed.success) {
    throw new BusinessHoursConfigError(
      `SLA targets are invalid:\n${z.prettifyError(parsed.error)}`,
    );
  }
  const merged = {} as Record<TicketPriority, SlaTarget>;
  for (const p of TICKET_PRIORITIES) {
    const target = { ...SLA_TARGETS[p], ...parsed.data[p] };
    if (target.firstResponse > target.resolution) {
      throw new BusinessHoursConfigError(
        `SLA targets are invalid: ${p} first response (${target.firstResponse} min) is longer than its resolution (${target.resolution} min).`,
      );
    }
    merged[p] = target;
  }
  return freezeTargets(merged);
}

/** A status a ticket entered at `at` (and kept until the next event). */
export interface StatusEvent {
  at: Date;
  status: string;
}

/** Statuses that stop the clock: the ticket waits on the student. */
export const DEFAULT_PAUSED_STATUSES: readonly string[] = Object.freeze(["pending"]);

interface Segment {
  start: number;
  /** Exclusive; Infinity for the status the ticket is in now. */
  end: number;
  paused: boolean;
}

/**
 * The timeline from `from` on, as stretches of one status each. Events are sorted by time (the
 * caller's order does not matter; of two at the same instant the later in the list wins). Before
 * its first event a ticket counts as running.
 */
function segments(from: number, events: readonly StatusEvent[], paused: readonly string[]) {
  const sorted = events
    .map((e, i) => ({ at: instantOf(e.at, `events[${i}].at`), status: e.status, i }))
    .sort((x, y) => x.at - y.at || x.i - y.i);
  const stopped = new Set(paused);
  const out: Segment[] = [];
  let current: Segment = { start: from, end: Number.POSITIVE_INFINITY, paused: false };
  for (const e of sorted) {
    if (e.at <= from) {
      current.paused = stopped.has(e.status);
      continue;
    }
    current.end = e.at;
    out.push(current);
    current = { start: e.at, end: Number.POSITIVE_INFINITY, paused: stopped.has(e.status) };
  }
  out.push(current);
  return out;
}

function runningMs(until: number, segs: Segment[], cal: CompiledCalendar): number {
  let total = 0;
  for (const s of segs) {
    if (s.start >= until) break;
    if (!s.paused) total += businessMsBetween(s.start, Math.min(s.end, until), cal);
  }
  return total;
}

/**
 * Business minutes on the clock from the first event (the ticket's creation) to `until`, not
 * counting stretches in a paused status. Events after `until` are ignored; no events give 0.
 */
export function elapsedBusinessMinutes(
  events: readonly StatusEvent[],
  until: Date,
  cal: BusinessCalendar,
  pausedStatuses: readonly string[] = DEFAULT_PAUSED_STATUSES,
): number {
  const end = instantOf(until, "until");
  const compiled = compileCalendar(cal);
  if (events.length === 0) return 0;
  const from = Math.min(...events.map((e, i) => instantOf(e.at, `events[${i}].at`)));
  return msToMinutes(runningMs(end, segments(from, events, pausedStatuses), compiled));
}

function reachedAt(
  start: Date,
  minutes: number,
  timeline: readonly StatusEvent[],
  cal: BusinessCalendar,
  pausedStatuses: readonly string[],
): Date | null {
  const from = instantOf(start, "start");
  let remaining = minutesToMs(minutes, "targetMinutes");
  const compiled = compileCalendar(cal);
  for (const s of segments(from, timeline, pausedStatuses)) {
    if (s.paused) continue;
    const at = addBusinessMs(s.start, remaining, compiled);
    if (at <= s.end) return new Date(at);
    remaining -= businessMsBetween(s.start, s.end, compiled);
  }
  return null;
}

/**
 * When the clock started at `start` reaches `targetMinutes`, given the status timeline so far
 * (its last event is the ticket's status now): the first instant the ticket is in breach, so
 * a reply must come before it. It may be in the past (already breached).
 *
 * Returns null when the clock is stopped now (the ticket is in a paused status) with time still
 * left: the deadline is unknown until the student answers. Recompute on every status change.
 * A target already used up before the pause keeps its (past) due instant.
 */
export function dueAt(
  start: Date,
  targetMinutes: number,
  timeline: readonly StatusEvent[],
  cal: BusinessCalendar,
  pausedStatuses: readonly string[] = DEFAULT_PAUSED_STATUSES,
): Date | null {
  return reachedAt(start, targetMinutes, timeline, cal, pausedStatuses);
}

/** When a ticket counts as about to breach: this share of the target, or these minutes, left. */
export interface AtRiskPolicy {
  readonly fraction: number;
  readonly minutes: number;
}
export const DEFAULT_AT_RISK: AtRiskPolicy = Object.freeze({ fraction: 0.25, minutes: 30 });

/**
 * Business minutes left at which a ticket turns at risk: the larger of `fraction` of the target
 * and `minutes` (25% or 30 min by default), never more than the target. An urgent first
 * response (60) is at risk with 30 left; a low resolution (5400) with 1350 left.
 */
export function atRiskThreshold(target: number, policy: AtRiskPolicy = DEFAULT_AT_RISK): number {
  return Math.min(target, Math.max(target * policy.fraction, policy.minutes));
}

/**
 * When the ticket turns at risk (see `atRiskThreshold`); null as for `dueAt`. For a target no
 * longer than the threshold's minutes it is at risk from the start.
 */
export function atRiskAt(
  start: Date,
  targetMinutes: number,
  timeline: readonly StatusEvent[],
  cal: BusinessCalendar,
  pausedStatuses: readonly string[] = DEFAULT_PAUSED_STATUSES,
  policy: AtRiskPolicy = DEFAULT_AT_RISK,
): Date | null {
  minutesToMs(targetMinutes, "targetMinutes");
  const minutes = targetMinutes - atRiskThreshold(targetMinutes, policy);
  return reachedAt(start, minutes, timeline, cal, pausedStatuses);
}

export type SlaState = "ok" | "at_risk" | "breached";

/**
 * Where a clock stands: breached once the whole target is used (`elapsed >= target`, the same
 * instant as `now >= dueAt`), at risk once no more than the threshold is left, ok before.
 */
export function slaState(
  clock: { target: number; elapsed: number },
  policy: AtRiskPolicy = DEFAULT_AT_RISK,
): SlaState {
  const { target, elapsed } = clock;
  if (!Number.isFinite(target) || target < 0 || !Number.isFinite(elapsed) || elapsed < 0) {
    throw new RangeError("target and elapsed must be finite minutes, 0 or more.");
  }
  if (elapsed >= target) return "breached";
  if (target - elapsed <= atRiskThreshold(target, policy)) return "at_risk";
  return "ok";
}
