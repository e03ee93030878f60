import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addBusinessMinutes,
  atRiskAt,
  atRiskThreshold,
  type BusinessCalendar,
  BusinessHoursConfigError,
  businessMinutesBetween,
  defaultCalendar,
  dueAt,
  elapsedBusinessMinutes,
  parseHolidays,
  parseSlaTargets,
  SLA_TARGETS,
  type StatusEvent,
  slaState,
} from "../../src/lib/business-hours";

// Dates used below (IST): 2026-12-05 is a Saturday, 12-06 a Sunday, 12-07 a Monday;
// 2026-12-25 a Friday, 2026-12-31 a Thursday, 2027-01-01 a Friday.

/** An instant from IST wall time: "2026-12-05 17:30" (IST is UTC+05:30 all year). */
function ist(wall: string): Date {
  const at = new Date(`${wall.replace(" ", "T")}:00+05:30`);
  if (Number.isNaN(at.getTime())) throw new Error(`bad test time ${wall}`);
  return at;
}

/** The instant as IST wall time, "YYYY-MM-DD HH:MM" (seconds too when not :00). */
function wall(at: Date | null): string | null {
  if (at === null) return null;
  const text = new Date(at.getTime() + 330 * 60_000).toISOString();
  return text.endsWith(":00.000Z") ? text.slice(0, 16).replace("T", " ") : text.slice(0, 23);
}

const cal = defaultCalendar();
const add = (start: string, minutes: number, c: BusinessCalendar = cal) =>
  wall(addBusinessMinutes(ist(start), minutes, c));
const between = (a: string, b: string, c: BusinessCalendar = cal) =>
  businessMinutesBetween(ist(a), ist(b), c);

const events = (...pairs: [string, string][]): StatusEvent[] =>
  pairs.map(([at, status]) => ({ at: ist(at), status }));

describe("the done-means", () => {
  it("an urgent ticket created Saturday 17:30 IST has its first response due Monday 09:30", () => {
    const target = SLA_TARGETS.urgent.firstResponse;
    expect(add("2026-12-05 17:30", target)).toBe("2026-12-07 09:30");
    expect(wall(dueAt(ist("2026-12-05 17:30"), target, [], cal))).toBe("2026-12-07 09:30");
  });

  it("with that Monday a holiday, Tuesday 09:30", () => {
    const holidayMonday = defaultCalendar(["2026-12-07"]);
    const target = SLA_TARGETS.urgent.firstResponse;
    expect(add("2026-12-05 17:30", target, holidayMonday)).toBe("2026-12-08 09:30");
    const timeline = events(["2026-12-05 17:30", "open"]);
    expect(wall(dueAt(ist("2026-12-05 17:30"), target, timeline, holidayMonday))).toBe(
      "2026-12-08 09:30",
    );
  });
});

describe("defaults", () => {
  it("are the issue's table in business minutes (a day is 9 working hours)", () => {
    expect(SLA_TARGETS).toEqual({
      urgent: { firstResponse: 60, resolution: 480 },
      high: { firstResponse: 240, resolution: 1080 },
      normal: { firstResponse: 480, resolution: 2700 },
      low: { firstResponse: 1080, resolution: 5400 },
    });
    expect(Object.isFrozen(SLA_TARGETS) && Object.isFrozen(SLA_TARGETS.urgent)).toBe(true);
  });

  it("the calendar is IST, Monday–Saturday 09:00–18:00", () => {
    expect(defaultCalendar(["2027-01-26", "2026-12-25"])).toEqual({
      timeZone: "Asia/Kolkata",
      days: [1, 2, 3, 4, 5, 6],
      open: "09:00",
      close: "18:00",
      holidays: ["2026-12-25", "2027-01-26"],
    });
  });
});

describe("addBusinessMinutes: day boundaries (Tuesday 2026-12-08, 60 minutes)", () => {
  it.each([
    ["2026-12-08 08:59", "2026-12-08 10:00"], // counting begins at the opening
    ["2026-12-08 09:00", "2026-12-08 10:00"],
    ["2026-12-08 17:59", "2026-12-09 09:59"], // 1 minute today, 59 tomorrow
    ["2026-12-08 18:00", "2026-12-09 10:00"], // closed: tomorrow's opening
    ["2026-12-08 18:01", "2026-12-09 10:00"],
    ["2026-12-08 00:00", "2026-12-08 10:00"],
    ["2026-12-08 23:59", "2026-12-09 10:00"],
  ])("from %s → %s", (start, due) => {
    expect(add(start, 60)).toBe(due);
  });

  it("a deadline using up the day's last minute stays at 18:00, not the next 09:00", () => {
    expect(add("2026-12-08 17:00", 60)).toBe("2026-12-08 18:00");
    expect(add("2026-12-08 09:00", 540)).toBe("2026-12-08 18:00");
    expect(add("2026-12-08 08:00", 540)).toBe("2026-12-08 18:00");
    expect(add("2026-12-08 09:00", 541)).toBe("2026-12-09 09:01");
    // Saturday's close too: no jump over the weekend when it ends exactly at 18:00.
    expect(add("2026-12-05 17:00", 60)).toBe("2026-12-05 18:00");
  });

  it("0 minutes is the start itself, even outside hours", () => {
    expect(add("2026-12-06 03:00", 0)).toBe("2026-12-06 03:00");
    expect(add("2026-12-08 12:34", 0)).toBe("2026-12-08 12:34");
  });

  it("keeps seconds and fractions of a minute", () => {
    const start = new Date("2026-12-08T04:30:30.250Z"); // 10:00:30.250 IST
    expect(wall(addBusinessMinutes(start, 1.5, cal))).toBe("2026-12-08T10:02:00.250");
  });
});

describe("businessMinutesBetween", () => {
  it("counts only the overlap with working hours", () => {
    expect(between("2026-12-08 08:59", "2026-12-08 09:01")).toBe(1);
    expect(between("2026-12-08 17:59", "2026-12-08 18:01")).toBe(1);
    expect(between("2026-12-08 18:00", "2026-12-09 09:00")).toBe(0);
    expect(between("2026-12-08 09:00", "2026-12-08 18:00")).toBe(540);
    expect(between("2026-12-08 12:00", "2026-12-09 12:00")).toBe(540);
    expect(between("2026-12-08 00:00", "2026-12-15 00:00")).toBe(6 * 540);
  });

  it("is 0 when b is not after a", () => {
    expect(between("2026-12-08 12:00", "2026-12-08 12:00")).toBe(0);
    expect(between("2026-12-08 13:00", "2026-12-08 12:00")).toBe(0);
  });

  it("is exact to the millisecond", () => {
    const a = new Date("2026-12-08T04:30:00.000Z"); // 10:00 IST
    const b = new Date("2026-12-08T04:30:45.000Z");
    expect(businessMinutesBetween(a, b, cal)).toBe(0.75);
  });
});

describe("week boundaries", () => {
  it("Saturday evening → Monday", () => {
    expect(add("2026-12-05 18:30", 60)).toBe("2026-12-07 10:00");
    expect(add("2026-12-05 16:00", 180)).toBe("2026-12-07 10:00");
  });

  it("Sunday is closed all day", () => {
    expect(between("2026-12-06 00:00", "2026-12-07 00:00")).toBe(0);
    expect(between("2026-12-06 09:00", "2026-12-06 18:00")).toBe(0);
    expect(between("2026-12-05 09:00", "2026-12-07 18:00")).toBe(1080);
  });

  it("a start on a Sunday counts from Monday's opening", () => {
    expect(add("2026-12-06 12:00", SLA_TARGETS.normal.firstResponse)).toBe("2026-12-07 17:00");
    expect(add("2026-12-06 12:00", SLA_TARGETS.high.resolution)).toBe("2026-12-08 18:00");
  });
});

describe("holidays", () => {
  it("two consecutive holidays are skipped", () => {
    const c = defaultCalendar(["2026-12-24", "2026-12-25"]);
    expect(add("2026-12-23 17:00", 120, c)).toBe("2026-12-26 10:00");
    expect(between("2026-12-23 17:00", "2026-12-26 10:00", c)).toBe(120);
    // The same without them: Thursday morning.
    expect(add("2026-12-23 17:00", 120)).toBe("2026-12-24 10:00");
  });

  it("a holiday on the Monday after a weekend", () => {
    const c = defaultCalendar(["2026-12-28"]);
    expect(add("2026-12-26 17:00", 120, c)).toBe("2026-12-29 10:00");
    expect(between("2026-12-26 00:00", "2026-12-29 00:00", c)).toBe(540);
  });

  it("a Saturday and the Monday off: Friday evening to Tuesday", () => {
    const c = defaultCalendar(["2026-12-12", "2026-12-14"]);
    expect(add("2026-12-11 17:30", 60, c)).toBe("2026-12-15 09:30");
  });

  it("year end: 2026-12-31 → the 2027-01-01 holiday → Saturday 2 January", () => {
    const c = defaultCalendar(parseHolidays("2027-01-01"));
    expect(add("2026-12-31 17:00", 120, c)).toBe("2027-01-02 10:00");
    expect(add("2026-12-31 17:00", 120)).toBe("2027-01-01 10:00");
    expect(between("2026-12-31 00:00", "2027-01-04 00:00", c)).toBe(2 * 540);
  });

  it("a holiday matches by its IST date, not the UTC one", () => {
    // Monday's midnight in IST is 2026-12-06T18:30Z, still Sunday in UTC: a Sunday holiday
    // must not close Monday, and a Monday holiday must close it even for a UTC-Sunday start.
    expect(add("2026-12-07 08:00", 60, defaultCalendar(["2026-12-06"]))).toBe("2026-12-07 10:00");
    const mondayOff = defaultCalendar(["2026-12-07"]);
    expect(wall(addBusinessMinutes(new Date("2026-12-06T19:30:00Z"), 60, mondayOff))).toBe(
      "2026-12-08 10:00",
    );
  });
});

describe("long targets", () => {
  it("a low-priority resolution (10 days) from Monday 09:00 ends Thursday of the next week at 18:00", () => {
    expect(add("2026-12-07 09:00", SLA_TARGETS.low.resolution)).toBe("2026-12-17 18:00");
  });

  it("10 days across Christmas and New Year holidays, three calendar weeks", () => {
    const c = defaultCalendar(parseHolidays("2026-12-25,2027-01-01"));
    const due = addBusinessMinutes(ist("2026-12-22 11:00"), SLA_TARGETS.low.resolution, c);
    expect(wall(due)).toBe("2027-01-05 11:00");
    expect(due.toISOString()).toBe("2027-01-05T05:30:00.000Z");
    expect(businessMinutesBetween(ist("2026-12-22 11:00"), due, c)).toBe(5400);
  });

  it("counts months of elapsed time", () => {
    // 2027-01-04 (Mon) to 2027-03-01 (Mon): 8 weeks of 6 working days.
    expect(between("2027-01-04 00:00", "2027-03-01 00:00")).toBe(8 * 6 * 540);
  });
});

describe("instants given in UTC", () => {
  it("2026-12-05T20:00Z is Sunday 01:30 IST, so counting starts Monday 09:00", () => {
    const due = addBusinessMinutes(new Date("2026-12-05T20:00:00Z"), 60, cal);
    expect(due.toISOString()).toBe("2026-12-07T04:30:00.000Z");
    expect(wall(due)).toBe("2026-12-07 10:00");
  });

  it("Friday late evening UTC is already Saturday morning in IST, a working day", () => {
    // 2026-12-04T23:00Z = Saturday 04:30 IST.
    const due = addBusinessMinutes(new Date("2026-12-04T23:00:00Z"), 60, cal);
    expect(wall(due)).toBe("2026-12-05 10:00");
    // Saturday 18:30 UTC is Sunday midnight in IST: nothing counts until Monday.
    const from = new Date("2026-12-05T18:30:00Z");
    expect(businessMinutesBetween(from, new Date("2026-12-07T03:30:00Z"), cal)).toBe(0);
  });
});

describe("a zone with daylight saving (not IST's case, but the conversion stays right)", () => {
  const london = { ...cal, timeZone: "Europe/London" } as unknown as BusinessCalendar;

  it("spring forward and fall back between Saturday and Monday", () => {
    // 2026-03-29 and 2026-10-25 are the Sundays the UK changes clocks.
    const spring = addBusinessMinutes(new Date("2026-03-28T17:30:00Z"), 60, london);
    expect(spring.toISOString()).toBe("2026-03-30T08:30:00.000Z"); // 09:30 BST
    const autumn = addBusinessMinutes(new Date("2026-10-24T16:30:00Z"), 60, london);
    expect(autumn.toISOString()).toBe("2026-10-26T09:30:00.000Z"); // 09:30 GMT
    expect(businessMinutesBetween(new Date("2026-03-27T00:00:00Z"), spring, london)).toBe(
      540 + 540 + 30,
    );
  });
});

describe("elapsedBusinessMinutes: the clock stops while pending", () => {
  const timeline = events(
    ["2026-12-08 09:00", "open"],
    ["2026-12-08 11:00", "pending"], // 2 h open
    ["2026-12-09 11:00", "open"], // pending one working day
  );

  it("open 2 h, pending a day, open again: only the open parts count", () => {
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-09 15:00"), cal)).toBe(120 + 240);
    // Ignoring the pause it would be the whole of Tuesday and Wednesday morning.
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-09 15:00"), cal, [])).toBe(900);
  });

  it("counts nothing while paused and nothing after `until`", () => {
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-08 17:00"), cal)).toBe(120);
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-09 11:00"), cal)).toBe(120);
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-08 10:00"), cal)).toBe(60);
    expect(elapsedBusinessMinutes(timeline, ist("2026-12-08 08:00"), cal)).toBe(0);
  });

  it("a ticket pending across a weekend", () => {
    const weekend = events(
      ["2026-12-11 16:00", "open"], // Friday: 2 h
      ["2026-12-12 10:00", "pending"], // Saturday: 1 h
      ["2026-12-15 10:00", "open"], // Monday missed entirely; Tuesday: 2 h
    );
    expect(elapsedBusinessMinutes(weekend, ist("2026-12-15 12:00"), cal)).toBe(300);
    // Unpaused, Saturday 10:00–18:00, all of Monday and Tuesday 09:00–10:00 count too.
    expect(elapsedBusinessMinutes(weekend, ist("2026-12-15 12:00"), cal, [])).toBe(300 + 1080);
  });

  it("takes events in any order, other status names, and custom paused statuses", () => {
    const shuffled = [timeline[2], timeline[0], timeline[1]] as StatusEvent[];
    expect(elapsedBusinessMinutes(shuffled, ist("2026-12-09 15:00"), cal)).toBe(360);
    const onHold = events(
      ["2026-12-08 09:00", "open"],
      ["2026-12-08 10:00", "on_hold"],
      ["2026-12-08 12:00", "in_progress"],
    );
    expect(elapsedBusinessMinutes(onHold, ist("2026-12-08 13:00"), cal)).toBe(240);
    expect(elapsedBusinessMinutes(onHold, ist("2026-12-08 13:00"), cal, ["on_hold"])).toBe(120);
  });

  it("no events: nothing elapsed", () => {
    expect(elapsedBusinessMinutes([], ist("2026-12-09 15:00"), cal)).toBe(0);
  });
});

describe("dueAt and atRiskAt", () => {
  const start = ist("2026-12-08 09:00");
  const target = SLA_TARGETS.normal.firstResponse; // 480

  it("a pause pushes the deadline out by exactly the business time paused", () => {
    expect(wall(dueAt(start, target, events(["2026-12-08 09:00", "open"]), cal))).toBe(
      "2026-12-08 17:00",
    );
    const resumed = events(
      ["2026-12-08 09:00", "open"],
      ["2026-12-08 11:00", "pending"],
      ["2026-12-09 11:00", "open"],
    );
    const due = dueAt(start, target, resumed, cal);
    expect(wall(due)).toBe("2026-12-09 17:00");
    expect(elapsedBusinessMinutes(resumed, due as Date, cal)).toBe(target);
  });

  it("is null while the ticket is paused with time left, and says so by being null", () => {
    const waiting = events(["2026-12-08 09:00", "open"], ["2026-12-08 11:00", "pending"]);
    expect(dueAt(start, target, waiting, cal)).toBeNull();
    expect(atRiskAt(start, target, waiting, cal)).toBeNull();
  });

  it("keeps a deadline already passed before the pause", () => {
    const late = events(["2026-12-08 09:00", "open"], ["2026-12-08 11:00", "pending"]);
    expect(wall(dueAt(start, 60, late, cal))).toBe("2026-12-08 10:00");
  });

  it("treats a ticket with no events yet as running from `start`", () => {
    expect(wall(dueAt(start, 60, [], cal))).toBe("2026-12-08 10:00");
  });

  it("starts paused when the status in effect at `start` is paused", () => {
    const timeline = events(["2026-12-08 08:00", "pending"], ["2026-12-08 14:00", "open"]);
    expect(wall(dueAt(start, 60, timeline, cal))).toBe("2026-12-08 15:00");
  });

  it("atRiskAt is when max(25% of the target, 30 min) is left", () => {
    const running = events(["2026-12-08 09:00", "open"]);
    expect(wall(atRiskAt(start, 480, running, cal))).toBe("2026-12-08 15:00"); // 120 left
    expect(wall(atRiskAt(start, 60, running, cal))).toBe("2026-12-08 09:30"); // 30 left
    expect(wall(atRiskAt(start, 20, running, cal))).toBe("2026-12-08 09:00"); // from the start
    expect(atRiskThreshold(5400)).toBe(1350);
    expect(atRiskThreshold(60)).toBe(30);
    expect(atRiskThreshold(20)).toBe(20);
    expect(atRiskThreshold(480, { fraction: 0.1, minutes: 15 })).toBe(48);
  });

  it("a scheduled job comparing now with the stored instants agrees with slaState", () => {
    const timeline = events(
      ["2026-12-05 16:00", "open"],
      ["2026-12-05 17:00", "pending"],
      ["2026-12-07 12:00", "open"],
    );
    const begin = ist("2026-12-05 16:00");
    const due = dueAt(begin, target, timeline, cal) as Date;
    const risk = atRiskAt(begin, target, timeline, cal) as Date;
    expect(wall(due)).toBe("2026-12-08 10:00"); // 60 Sat + 360 Mon + 60 Tue
    expect(wall(risk)).toBe("2026-12-07 17:00"); // 120 (25%) left
    const stateAt = (ms: number) =>
      slaState({ target, elapsed: elapsedBusinessMinutes(timeline, new Date(ms), cal) });
    expect(stateAt(risk.getTime() - 1)).toBe("ok");
    expect(stateAt(risk.getTime())).toBe("at_risk");
    expect(stateAt(due.getTime() - 1)).toBe("at_risk");
    expect(stateAt(due.getTime())).toBe("breached");
  });

  it("a deadline at 18:00 reads as breached overnight, by either route", () => {
    const due = dueAt(start, 540, [], cal) as Date;
    expect(wall(due)).toBe("2026-12-08 18:00");
    const evening = ist("2026-12-08 21:00");
    expect(evening >= due).toBe(true);
    const elapsed = elapsedBusinessMinutes(events(["2026-12-08 09:00", "open"]), evening, cal);
    expect(slaState({ target: 540, elapsed })).toBe("breached");
  });
});

describe("slaState", () => {
  it.each([
    [60, 0, "ok"],
    [60, 29, "ok"],
    [60, 30, "at_risk"],
    [60, 59.99, "at_risk"],
    [60, 60, "breached"],
    [60, 600, "breached"],
    [5400, 4049, "ok"],
    [5400, 4050, "at_risk"],
    [20, 0, "at_risk"],
  ])("target %d, elapsed %d → %s", (target, elapsed, state) => {
    expect(slaState({ target, elapsed })).toBe(state);
  });

  it("takes another policy, and refuses nonsense", () => {
    expect(slaState({ target: 480, elapsed: 400 }, { fraction: 0.1, minutes: 15 })).toBe("ok");
    expect(slaState({ target: 480, elapsed: 440 }, { fraction: 0.1, minutes: 15 })).toBe("at_risk");
    expect(() => slaState({ target: 60, elapsed: Number.NaN })).toThrow(RangeError);
    expect(() => slaState({ target: -1, elapsed: 0 })).toThrow(RangeError);
  });
});

describe("round trips", () => {
  const holidays = defaultCalendar(parseHolidays("2026-12-25,2027-01-01,2027-01-26,2027-03-04"));
  const from = Date.parse("2026-11-25T00:00:00Z");
  const to = Date.parse("2027-03-20T00:00:00Z");

  it("businessMinutesBetween(start, addBusinessMinutes(start, m)) === m", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: from, max: to }),
        fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 6000 })),
        fc.boolean(),
        (startMs, m, withHolidays) => {
          const c = withHolidays ? holidays : cal;
          const start = new Date(startMs);
          const due = addBusinessMinutes(start, m, c);
          expect(businessMinutesBetween(start, due, c)).toBe(m);
          // The earliest such instant: a millisecond earlier, the time is not yet all there.
          if (m > 0)
            expect(businessMinutesBetween(start, new Date(due.getTime() - 1), c)).toBeLessThan(m);
        },
      ),
      { seed: 20261205, numRuns: 400 },
    );
  });

  it("agrees with a minute-by-minute count that knows nothing of the implementation", () => {
    const dates = holidays.holidays;
    const isOpen = (ms: number) => {
      const w = new Date(ms + 330 * 60_000); // IST wall time
      const minute = w.getUTCHours() * 60 + w.getUTCMinutes();
      return (
        w.getUTCDay() !== 0 &&
        !dates.includes(w.toISOString().slice(0, 10)) &&
        minute >= 540 &&
        minute < 1080
      );
    };
    const slowAdd = (start: number, m: number) => {
      let left = m;
      for (let t = start; left > 0; t += 60_000) if (isOpen(t) && --left === 0) return t + 60_000;
      return start;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: from / 60_000, max: to / 60_000 }),
        fc.integer({ min: 0, max: 3000 }),
        (startMinute, m) => {
          const start = startMinute * 60_000;
          const due = addBusinessMinutes(new Date(start), m, holidays).getTime();
          expect(wall(new Date(due))).toBe(wall(new Date(slowAdd(start, m))));
        },
      ),
      { seed: 42, numRuns: 120 },
    );
  });
});

describe("bad input", () => {
  it("refuses invalid instants and minute counts", () => {
    const ok = ist("2026-12-08 10:00");
    expect(() => addBusinessMinutes(new Date("nope"), 60, cal)).toThrow(RangeError);
    expect(() => addBusinessMinutes(ok, -1, cal)).toThrow(RangeError);
    expect(() => addBusinessMinutes(ok, Number.NaN, cal)).toThrow(RangeError);
    expect(() => addBusinessMinutes(ok, Number.POSITIVE_INFINITY, cal)).toThrow(RangeError);
    expect(() => businessMinutesBetween(ok, new Date(Number.NaN), cal)).toThrow(RangeError);
    expect(() => dueAt(ok, -5, [], cal)).toThrow(RangeError);
    expect(() => elapsedBusinessMinutes([{ at: new Date("x"), status: "open" }], ok, cal)).toThrow(
      RangeError,
    );
  });

  it("refuses a calendar that cannot be counted on", () => {
    const broken = (patch: Record<string, unknown>) => ({ ...cal, ...patch }) as BusinessCalendar;
    for (const patch of [
      { days: [] },
      { days: [0] },
      { days: [8] },
      { open: "9:00" },
      { open: "18:00", close: "09:00" },
      { close: "24:00" },
      { timeZone: "Asia/Nowhere" },
      { holidays: ["2026-02-30"] },
    ]) {
      expect(
        () => addBusinessMinutes(ist("2026-12-08 10:00"), 60, broken(patch)),
        JSON.stringify(patch),
      ).toThrow(BusinessHoursConfigError);
    }
  });
});

describe("parseHolidays", () => {
  it("reads a comma-separated config value, sorted without repeats", () => {
    expect(parseHolidays("2026-12-25,2027-01-26")).toEqual(["2026-12-25", "2027-01-26"]);
    expect(parseHolidays(" 2027-01-26 , 2026-12-25,2026-12-25\n")).toEqual([
      "2026-12-25",
      "2027-01-26",
    ]);
    expect(parseHolidays("2028-02-29")).toEqual(["2028-02-29"]);
    expect(parseHolidays("")).toEqual([]);
    expect(parseHolidays("  ")).toEqual([]);
  });

  it.each([
    "2026-02-30",
    "2027-02-29",
    "2026-13-01",
    "25/12/2026",
    "2026-12-5",
    "20261225",
    "2026-12-25T00:00",
    "2026-12-25;2027-01-26",
    "2026-12-25,,2027-01-26",
    "2026-12-25,",
    "tomorrow",
    "1999-12-31",
    "2126-01-01",
  ])("refuses %j with a clear error", (bad) => {
    expect(() => parseHolidays(bad)).toThrow(BusinessHoursConfigError);
    expect(() => parseHolidays(bad)).toThrow(/Holiday #\d+ ".*" is .*YYYY-MM-DD|outside the years/);
  });

  it("names the bad item", () => {
    expect(() => parseHolidays("2026-12-25,2026-02-30")).toThrow('Holiday #2 "2026-02-30"');
  });

  it("defaultCalendar checks its holidays the same way", () => {
    expect(() => defaultCalendar(["2026-13-01"])).toThrow(BusinessHoursConfigError);
  });
});

describe("parseSlaTargets", () => {
  it("unset or blank gives the defaults", () => {
    expect(parseSlaTargets(undefined)).toBe(SLA_TARGETS);
    expect(parseSlaTargets("  ")).toBe(SLA_TARGETS);
    expect(parseSlaTargets("{}")).toEqual(SLA_TARGETS);
  });

  it("overrides only what it names", () => {
    const targets = parseSlaTargets('{"urgent":{"firstResponse":30},"low":{"resolution":8100}}');
    expect(targets).toEqual({
      ...SLA_TARGETS,
      urgent: { firstResponse: 30, resolution: 480 },
      low: { firstResponse: 1080, resolution: 8100 },
    });
    expect(SLA_TARGETS.urgent.firstResponse).toBe(60);
    expect(Object.isFrozen(targets.urgent)).toBe(true);
  });

  it.each([
    ["not JSON", "{urgent: 30}", /not valid JSON/],
    ["an array", "[]", /invalid/],
    ["null", "null", /invalid/],
    ["an unknown priority", '{"urgnet":{"firstResponse":30}}', /urgnet/],
    ["an unknown field", '{"urgent":{"frstResponse":30}}', /frstResponse/],
    ["zero", '{"urgent":{"firstResponse":0}}', /more than 0/],
    ["a negative", '{"high":{"resolution":-60}}', /more than 0/],
    ["a fraction", '{"high":{"resolution":90.5}}', /whole number/],
    ["a string", '{"high":{"resolution":"90"}}', /high\.resolution/],
    ["milliseconds for minutes", '{"low":{"resolution":324000000}}', /at most 54000/],
    ["first response after resolution", '{"urgent":{"firstResponse":600}}', /urgent first/],
  ])("refuses %s", (_, json, message) => {
    expect(() => parseSlaTargets(json)).toThrow(BusinessHoursConfigError);
    expect(() => parseSlaTargets(json)).toThrow(message);
  });
});
