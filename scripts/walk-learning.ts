/**
 * `npm run walk:learning` (with `npm run dev` running in another terminal)
 *
 * Walks the learning flow over HTTP against the local API, the way a newcomer would by hand,
 * and prints what each step answered:
 *   1. the demo admin creates a free course, publishes it, and adds a batch of 10 seats;
 *   2. `GET /v1/courses` twice: the second read is served from the cache (`Cache-Status`);
 *   3. 30 new students sign up and enrol at the same moment: exactly 10 get a seat;
 *   4. the admin schedules a class; a seated student sees it in `/v1/me/schedule` and in the
 *      `.ics` feed;
 *   5. signed Zoom webhooks (started, joined, left, ended) raise that student's attendance in
 *      the roster; an unsigned and a stale webhook get 401;
 *   6. a student without a seat gets 404 for the join URL and for the class's recording, which
 *      the seated student can read.
 * Exits 1 at the first step that does not behave as described. Everything it creates is new
 * (fresh slug and emails), so it can run any number of times. Loopback only.
 */

import {
  buildZoomEvent,
  meetingIdFor,
  type SimulatedEvent,
  signedZoomWebhook,
} from "../src/providers/zoom/simulate.ts";
import { DEMO_PASSWORD } from "./lib/seed.ts";
import {
  base,
  call,
  check,
  devSecret,
  expectStatus,
  login,
  publishedCourseWithBatch,
  requireRunningApi,
} from "./lib/walk.ts";

const run = crypto.randomUUID().slice(0, 8);
const MIN = 60_000;

async function zoom(event: SimulatedEvent, meetingId: string, at: Date, email?: string) {
  const payload = await buildZoomEvent({ event, meetingId, email, at, apiBaseUrl: base });
  const { rawBody, headers } = await signedZoomWebhook(
    payload,
    devSecret("ZOOM_WEBHOOK_SECRET_TOKEN"),
  );
  return call("POST", "/v1/webhooks/zoom", { raw: rawBody, headers });
}

await requireRunningApi("walk:learning");

console.log(`1. A free course with a batch of 10 seats (run ${run})`);
const admin = await login("admin@demo.in");
const slug = `walk-${run}`;
const { batchId } = await publishedCourseWithBatch(admin, {
  slug,
  title: `Walkthrough course ${run}`,
  pricePaise: 0,
  batchName: "Evening batch",
  capacity: 10,
  startsInDays: 7,
  courseNote: "free",
});
const batch = { body: { id: batchId } };

console.log("2. The public list, twice");
const listPath = "/v1/courses?category=walkthrough&limit=50";
const first = await call<{ data: { slug: string }[] }>("GET", listPath);
check(
  first.status === 200 && first.body.data.some((c) => c.slug === slug),
  `GET /v1/courses lists ${slug}; Cache-Status: ${first.headers.get("Cache-Status")}`,
  first,
);
const second = await call("GET", listPath);
check(
  /;\s*hit/.test(second.headers.get("Cache-Status") ?? ""),
  `second read: Cache-Status: ${second.headers.get("Cache-Status")}`,
  second,
);

console.log("3. 30 students enrol at once");
const students = await Promise.all(
  Array.from({ length: 30 }, async (_, i) => {
    const email = `walk-${run}-${i}@example.in`;
    const res = await call<{ tokens: { accessToken: string } }>("POST", "/v1/auth/signup", {
      body: { email, password: DEMO_PASSWORD, fullName: `Walk Student ${i}` },
    });
    if (res.status !== 201) expectStatus(res, 201, `sign up ${email}`);
    return { email, token: res.body.tokens.accessToken };
  }),
);
const enrolled = await Promise.all(
  students.map((s) =>
    call<{ status: string; code?: string }>("POST", "/v1/enrolments", {
      token: s.token,
      body: { batchId: batch.body.id },
    }).then((answer) => ({ ...s, answer })),
  ),
);
const seated = enrolled.filter((e) => e.answer.status === 201);
const full = enrolled.filter((e) => e.answer.status === 409 && e.answer.body.code === "BATCH_FULL");
check(
  seated.length === 10 && full.length === 20,
  `${seated.length} × 201 active, ${full.length} × 409 BATCH_FULL` +
    (seated.length + full.length === 30
      ? ""
      : `; others: ${enrolled
          .filter((e) => e.answer.status !== 201 && e.answer.status !== 409)
          .map((e) => e.answer.status)
          .join(", ")}`),
);
const student = seated[0];
const outsider = full[0];
if (!student || !outsider) throw new Error("unreachable: checked above");

console.log("4. A class on the schedule and in the calendar feed");
const startsAt = new Date(Math.ceil((Date.now() + 20 * MIN) / MIN) * MIN);
const session = expectStatus(
  await call<{ id: string }>("POST", `/v1/admin/batches/${batch.body.id}/sessions`, {
    token: admin,
    body: { title: "Walkthrough class", startsAt: startsAt.toISOString(), durationMinutes: 60 },
  }),
  201,
  "POST /v1/admin/batches/{id}/sessions (on the development Zoom provider)",
);
const schedule = await call<{ data: { id: string }[] }>("GET", "/v1/me/schedule", {
  token: student.token,
});
check(
  schedule.status === 200 && schedule.body.data.some((s) => s.id === session.body.id),
  `GET /v1/me/schedule shows the class to ${student.email}`,
  schedule,
);
const feed = expectStatus(
  await call<{ url: string }>("POST", "/v1/me/calendar-feed", { token: student.token }),
  201,
  "POST /v1/me/calendar-feed",
);
const feedUrl = new URL(feed.body.url);
const ics = await call("GET", `${feedUrl.pathname}${feedUrl.search}`);
check(
  ics.status === 200 &&
    ics.text.startsWith("BEGIN:VCALENDAR\r\n") &&
    ics.text.includes(`UID:${session.body.id}@`),
  `GET /v1/me/schedule.ics?token=… (${ics.headers.get("Content-Type")}) has the class`,
  ics,
);

console.log("5. Attendance from signed Zoom webhooks");
const meetingId = await meetingIdFor(session.body.id);
const t0 = new Date(Date.now() - 60 * MIN);
const at = (m: number) => new Date(t0.getTime() + m * MIN);
for (const [event, when, email] of [
  ["meeting.started", at(0), undefined],
  ["meeting.participant_joined", at(5), student.email],
  ["meeting.participant_left", at(35), student.email],
  ["meeting.ended", at(60), undefined],
  ["recording.completed", at(61), undefined],
] as const) {
  const res = await zoom(event, meetingId, when, email);
  expectStatus(res, 200, `${event}${email ? ` (${email})` : ""}: ${JSON.stringify(res.body)}`);
}
const roster = expectStatus(
  await call<{ data: { email: string; attendance: { percent: number | null } }[] }>(
    "GET",
    `/v1/admin/batches/${batch.body.id}/roster?limit=50`,
    { token: admin },
  ),
  200,
  "GET /v1/admin/batches/{id}/roster",
);
const entry = roster.body.data.find((r) => r.email === student.email);
check(
  entry?.attendance.percent === 50,
  `${student.email}: attendance ${entry?.attendance.percent}% (30 of the class's 60 minutes)`,
);
const unsigned = await call("POST", "/v1/webhooks/zoom", {
  body: { event: "meeting.participant_joined", event_ts: Date.now(), payload: {} },
});
expectStatus(unsigned, 401, "an unsigned webhook");
const stale = await signedZoomWebhook(
  await buildZoomEvent({
    event: "meeting.participant_joined",
    meetingId,
    email: student.email,
    at: new Date(),
    apiBaseUrl: base,
  }),
  devSecret("ZOOM_WEBHOOK_SECRET_TOKEN"),
  new Date(Date.now() - 6 * MIN),
);
expectStatus(
  await call("POST", "/v1/webhooks/zoom", { raw: stale.rawBody, headers: stale.headers }),
  401,
  "a webhook signed 6 minutes ago",
);

console.log("6. Outsiders learn nothing");
expectStatus(
  await call("GET", `/v1/sessions/${session.body.id}/join`, { token: outsider.token }),
  404,
  `GET /v1/sessions/{id}/join as ${outsider.email} (no seat)`,
);
const mine = expectStatus(
  await call<{ data: { id: string }[] }>("GET", "/v1/me/recordings", { token: student.token }),
  200,
  `GET /v1/me/recordings as ${student.email}`,
);
const recording = mine.body.data[0];
check(recording !== undefined, "the class's recording is listed for the seated student");
expectStatus(
  await call("GET", `/v1/recordings/${recording?.id}`, { token: student.token }),
  200,
  "GET /v1/recordings/{id} with a seat",
);
expectStatus(
  await call("GET", `/v1/recordings/${recording?.id}`, { token: outsider.token }),
  404,
  "the same recording without a seat",
);
console.log("Every step behaved as described.");
