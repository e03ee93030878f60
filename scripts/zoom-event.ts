/**
 * `npm run zoom:event -- --session <id> --event participant_joined --email student@demo.in`
 *
 * Posts a signed Zoom webhook to the local API, as Zoom would: the body comes from the same
 * builder the tests verify (src/providers/zoom/simulate.ts), signed now with
 * ZOOM_WEBHOOK_SECRET_TOKEN (environment, else .dev.vars, else .dev.vars.example), sent to
 * http://127.0.0.1:8787/v1/webhooks/zoom (or --url). Prints the request and the answer; exits
 * 1 unless the API answers 2xx.
 *
 * --session  a Zoom meeting id (digits), or a class session id: with the development provider
 *            the meeting id is derived from the session id, so no database is needed
 * --event    participant_joined | participant_left | meeting.started | meeting.ended |
 *            recording.completed | url_validation (full names like meeting.participant_joined too)
 * --email    the participant (participant events); --name their display name
 * --at       when it happened (ISO 8601; default now). The signature is always made now.
 * --topic, --duration <minutes>, --plain-token (url_validation), --dry-run (print a curl, send
 * nothing), --i-mean-it (allow a non-loopback --url)
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  buildZoomEvent,
  expectedValidationAnswer,
  meetingIdFor,
  resolveEventName,
  SIMULATED_EVENT_NAMES,
  signedZoomWebhook,
} from "../src/providers/zoom/simulate.ts";
import { readDevVar } from "./lib/dev-vars.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE = [
  "usage: npm run zoom:event -- --session <session or meeting id> --event <event> [--email <email>]",
  "         [--name <name>] [--at <ISO time>] [--topic <topic>] [--duration <minutes>]",
  "         [--url http://127.0.0.1:8787/v1/webhooks/zoom] [--plain-token <t>] [--dry-run]",
  `events: participant_joined, participant_left, ${SIMULATED_EVENT_NAMES.join(", ")}`,
  "(note the -- : without it npm keeps the flags for itself)",
].join("\n");

function fail(message: string, code = 2): never {
  console.error(`zoom:event: ${message}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      session: { type: "string" },
      event: { type: "string" },
      email: { type: "string" },
      name: { type: "string" },
      at: { type: "string" },
      topic: { type: "string" },
      duration: { type: "string" },
      url: { type: "string" },
      "plain-token": { type: "string" },
      "dry-run": { type: "boolean" },
      "i-mean-it": { type: "boolean" },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
const str = (key: string) =>
  typeof values[key] === "string" ? (values[key] as string) : undefined;

const event = resolveEventName(str("event") ?? "");
if (!event) fail(`unknown or missing --event ${str("event") ?? ""}`.trim());
const session = str("session");
if (!session && event !== "endpoint.url_validation") fail("--session is required");
const email = str("email");
if (event.startsWith("meeting.participant_") && !email) fail(`${event} needs --email`);
if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fail(`not an email address: ${email}`);
const at = str("at") ? new Date(str("at") ?? "") : new Date();
if (Number.isNaN(at.getTime())) fail(`--at is not an ISO 8601 time: ${str("at")}`);
const duration = str("duration") ? Number(str("duration")) : undefined;
if (duration !== undefined && !(Number.isInteger(duration) && duration > 0)) {
  fail("--duration is a whole number of minutes");
}

const port = process.env.PORT ?? "8787";
let target: URL;
try {
  target = new URL(str("url") ?? `http://127.0.0.1:${port}/v1/webhooks/zoom`);
} catch {
  fail(`--url is not a URL: ${str("url")}`);
}
const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
const loopback = host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
if (!loopback && !values["i-mean-it"]) {
  fail(
    `refusing to post to ${target.origin}: not a loopback address. Simulated attendance is for ` +
      "your own stack; pass --i-mean-it if this server is yours and expects it.",
    1,
  );
}

/** ZOOM_WEBHOOK_SECRET_TOKEN: environment, then .dev.vars, then the example's dev value. */
function webhookSecret(): { secret: string; from: string } {
  const key = "ZOOM_WEBHOOK_SECRET_TOKEN";
  if (process.env[key]) return { secret: process.env[key], from: "the environment" };
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const value = readDevVar(join(root, file), key);
    if (value) return { secret: value, from: file };
  }
  return fail(`${key} is not set (environment, .dev.vars or .dev.vars.example)`, 1);
}

const { secret, from } = webhookSecret();
const meetingId = session ? await meetingIdFor(session) : "0";
const payload = await buildZoomEvent({
  event,
  meetingId,
  email,
  name: str("name"),
  at,
  topic: str("topic"),
  durationMinutes: duration,
  apiBaseUrl: target.origin,
  plainToken: str("plain-token"),
});
const { rawBody, headers } = await signedZoomWebhook(payload, secret);

const about =
  event === "endpoint.url_validation"
    ? "URL validation challenge"
    : `meeting ${meetingId}${session && session !== meetingId ? ` (session ${session})` : ""}${
        email ? `, ${email}` : ""
      }, at ${at.toISOString()}`;
console.log(`${event}: ${about}; signed with ZOOM_WEBHOOK_SECRET_TOKEN from ${from}`);

if (values["dry-run"]) {
  const h = Object.entries(headers)
    .map(([k, v]) => `-H '${k}: ${v}'`)
    .join(" ");
  console.log(
    `curl -s -X POST ${target.href} ${h} --data-raw '${rawBody.replaceAll("'", "'\\''")}'`,
  );
  console.log("(signatures are good for 5 minutes)");
  process.exit(0);
}

console.log(`POST ${target.href}`);
let res: Response;
try {
  res = await fetch(target, { method: "POST", headers, body: rawBody });
} catch (err) {
  fail(
    `nothing answers at ${target.origin} (${(err as Error).cause ?? (err as Error).message}). ` +
      "Start the API first (npm run dev, in another terminal), or pass --url.",
    1,
  );
}
const text = await res.text();
console.log(`→ ${res.status} ${res.statusText}`);
if (text) console.log(text);

if (res.status === 404 && text.includes('"NOT_FOUND"')) {
  console.error(
    "zoom:event: this API has no POST /v1/webhooks/zoom: is it an older build? The request above " +
      "is what Zoom would send.",
  );
}
if (res.ok && text.includes('"unknown_meeting"')) {
  console.error(
    `zoom:event: no class session has meeting ${meetingId}. With the dev provider, pass the ` +
      "session's id (its meeting id is derived from it) or the session's zoom_meeting_id.",
  );
}
if (event === "endpoint.url_validation" && res.ok) {
  const expected = await expectedValidationAnswer(
    (payload.payload as { plainToken: string }).plainToken,
    secret,
  );
  const answered = (() => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  const right =
    answered.plainToken === expected.plainToken &&
    answered.encryptedToken === expected.encryptedToken;
  console.log(right ? "challenge answered correctly" : `expected ${JSON.stringify(expected)}`);
  if (!right) process.exit(1);
}
process.exit(res.ok ? 0 : 1);
