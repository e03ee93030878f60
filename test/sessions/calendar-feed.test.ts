/**
 * The calendar feed: a per-user token in the URL (calendar apps send no headers), only its hash
 * stored, rotated and revoked at once; RFC 5545 content without join URLs.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { calendarFeeds } from "../../src/db/schema";
import { foldLine } from "../../src/domains/sessions/service/ics";
import { hashToken } from "../../src/lib/tokens";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import { insertEnrolment, insertSession } from "../support/learning";

const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.now() + ms);

async function setup(t: Parameters<typeof Harness.init>[0]) {
  const h = await Harness.init(t);
  const course = await insertCourse(h.database, { title: "JEE Physics; Mechanics, Part 1" });
  const batch = await insertBatch(h.database, course.id, { name: "Morning, Pune" });
  const student = await h.asStudent();
  await insertEnrolment(h.database, student.id, batch.id);
  return { h, course, batch, student };
}

const feedPath = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** Unfolds (RFC 5545 §3.1) and splits into content lines. */
const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, "").split("\r\n");

describe("calendar feed", () => {
  it("serves RFC 5545: CRLF, folded lines, escaped text, cancelled events, no join URLs", async (t) => {
    const { h, batch, student } = await setup(t);
    const long = `Rotational dynamics — torque, angular momentum; “rolling” without slipping ${"ऊर्जा ".repeat(6)}`;
    const a = await insertSession(h.database, batch.id, {
      title: long,
      startsAt: new Date(Math.floor((Date.now() + DAY) / 60_000) * 60_000),
      durationMinutes: 90,
    });
    const b = await insertSession(h.database, batch.id, {
      startsAt: at(2 * DAY),
      status: "cancelled",
    });
    const created = await h.post<unknown, { url: string }>("/v1/me/calendar-feed", undefined, {
      headers: student.auth,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.url).toMatch(/\/v1\/me\/schedule\.ics\?token=[A-Za-z0-9_-]{43}$/);

    const res = await h.get<string>(feedPath(created.body.url));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/calendar; charset=utf-8");
    // Calendar pollers share addresses: the generous per-address read policy, not `api`.
    expect(res.headers.get("RateLimit-Policy")).toMatch(/^"catalogue"/);
    const ics = res.text;
    // Every line ends in CRLF; none is longer than 75 octets; no bare LF.
    expect(ics.endsWith("\r\n")).toBe(true);
    expect(ics.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    for (const line of ics.split("\r\n")) {
      expect(new TextEncoder().encode(line).length, line).toBeLessThanOrEqual(75);
    }
    const lines = unfold(ics);
    expect(lines.slice(0, 6)).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Coaching//Coaching API//EN",
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "X-WR-CALNAME:Coaching classes",
    ]);
    expect(lines.filter((l) => l === "BEGIN:VEVENT")).toHaveLength(2);
    expect(lines).toContain(`UID:${a.id}@coaching-api`);
    expect(lines).toContain(`UID:${b.id}@coaching-api`);
    expect(lines.some((l) => /^DTSTART:\d{8}T\d{6}Z$/.test(l))).toBe(true);
    expect(lines).toContain(
      `SUMMARY:${long.replaceAll(";", "\\;").replaceAll(",", "\\,")} (JEE Physics\\; Mechanics\\, Part 1)`,
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          "DESCRIPTION:Course: JEE Physics\\; Mechanics\\, Part 1\\nBatch: Morning\\, Pune\\n",
        ),
      ),
    ).toBe(true);
    expect(lines.filter((l) => l.startsWith("STATUS:"))).toEqual([
      "STATUS:CONFIRMED",
      "STATUS:CANCELLED",
    ]);
    expect(lines.filter((l) => /^SEQUENCE:\d+$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^DTSTAMP:\d{8}T\d{6}Z$/.test(l))).toHaveLength(2);
    expect(ics).not.toMatch(/zoom\.example|pwd=/);
  });

  it("folds by octets, never inside a UTF-8 character", () => {
    const line = `SUMMARY:${"ऊ".repeat(60)}`;
    const folded = foldLine(line);
    for (const part of folded.split("\r\n")) {
      expect(new TextEncoder().encode(part).length).toBeLessThanOrEqual(75);
    }
    expect(folded.replace(/\r\n /g, "")).toBe(line);
  });

  it("stores only the hash; rotate → the old URL is 404; revoke → 404", async (t) => {
    const { h, student } = await setup(t);
    const first = await h.post<unknown, { url: string }>("/v1/me/calendar-feed", undefined, {
      headers: student.auth,
    });
    const token = new URL(first.body.url).searchParams.get("token") ?? "";
    const [row] = await h.db
      .select()
      .from(calendarFeeds)
      .where(eq(calendarFeeds.userId, student.id));
    expect(row?.tokenHash).toBe(await hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect((await h.get(feedPath(first.body.url))).status).toBe(200);

    const second = await h.post<unknown, { url: string }>("/v1/me/calendar-feed", undefined, {
      headers: student.auth,
    });
    expect(second.status).toBe(201);
    expect(second.body.url).not.toBe(first.body.url);
    expect((await h.get(feedPath(first.body.url))).status).toBe(404);
    expect((await h.get(feedPath(second.body.url))).status).toBe(200);

    const revoked = await h.delete("/v1/me/calendar-feed", { headers: student.auth });
    expect(revoked.status, revoked.text).toBe(204);
    expect((await h.get(feedPath(second.body.url))).status).toBe(404);
    expect((await h.delete("/v1/me/calendar-feed", { headers: student.auth })).status).toBe(204);
  });

  it("unknown, malformed or missing tokens get the same 404; no bearer token needed", async (t) => {
    const { h } = await setup(t);
    const answers = await Promise.all(
      [`token=${"A".repeat(43)}`, "token=short", "token=", ""].map((q) =>
        h.get(`/v1/me/schedule.ics?${q}`),
      ),
    );
    const shapes = answers.map((r) => {
      const { requestId: _r, instance: _i, ...rest } = JSON.parse(r.text);
      return [r.status, rest];
    });
    expect(shapes[0]?.[0]).toBe(404);
    for (const s of shapes) expect(s).toEqual(shapes[0]);
  });

  it("shows only the owner's active enrolments; last_used_at is stamped", async (t) => {
    const { h, course, student } = await setup(t);
    const other = await insertBatch(h.database, course.id);
    const theirs = await insertSession(h.database, other.id);
    const created = await h.post<unknown, { url: string }>("/v1/me/calendar-feed", undefined, {
      headers: student.auth,
    });
    const res = await h.get(feedPath(created.body.url));
    expect(res.text).not.toContain(theirs.id);
    const [row] = await h.db
      .select()
      .from(calendarFeeds)
      .where(eq(calendarFeeds.userId, student.id));
    expect(row?.lastUsedAt).not.toBeNull();
  });
});
