/**
 * `npm run walk:tickets` (with `npm run dev` running in another terminal)
 *
 * Walks the support desk over HTTP against the local API and prints what each step answered:
 *   1. a student opens a ticket; the same Idempotency-Key replays it (same ticket and number);
 *   2. an admin adds an internal note and a public reply;
 *   3. the student sees the reply but never the note; another student gets 404 for the ticket;
 *   4. an HTML file renamed `.png` is refused (415);
 *   5. a 9 MB PDF is accepted, downloadable by its owner (same bytes, as an attachment), 404 for
 *      another student;
 *   6. a move outside the lifecycle is 409 with the allowed next states;
 *   7. an urgent ticket opened at 17:30 IST on a Saturday is due a first response on Monday at
 *      09:30 IST; one opened at 17:30 on the eve of a holiday (25 December in the dev
 *      SUPPORT_HOLIDAYS) is due at 09:30 on the next working day. The opening time is set back in
 *      the dev database (the API has no way to open a ticket in the past), then the admin's
 *      priority change recomputes the deadline from the ticket's timeline.
 * Exits 1 at the first step that does not behave as described. Everything it creates is new.
 */
import pg from "pg";
import { DEMO_PASSWORD } from "./lib/seed.ts";
import { base, call, check, expectStatus, login, requireRunningApi } from "./lib/walk.ts";

const run = crypto.randomUUID().slice(0, 8);
const PG_PORT = Number(process.env.PG_PORT ?? 54329);

await requireRunningApi("walk:tickets");
const admin = await login("admin@demo.in");

async function newStudent(label: string): Promise<string> {
  const email = `walk-ticket-${label}-${run}@example.in`;
  const res = expectStatus(
    await call<{ tokens: { accessToken: string } }>("POST", "/v1/auth/signup", {
      body: { email, password: DEMO_PASSWORD, fullName: `Walk ${label}` },
    }),
    201,
    `sign up ${email}`,
  );
  return res.body.tokens.accessToken;
}

interface Ticket {
  id: string;
  number: string;
  status: string;
  messages: { author: string; bodyHtml: string }[];
  attachments: { id: string; fileName: string }[];
  firstResponseDueAt?: string | null;
}

const student = await newStudent("owner");
const stranger = await newStudent("other");

console.log("1. A student opens a ticket; the same Idempotency-Key replays it");
const key = crypto.randomUUID();
const open = () =>
  call<Ticket>("POST", "/v1/tickets", {
    token: student,
    headers: { "Idempotency-Key": key },
    body: {
      subject: `Recording missing (${run})`,
      body: "<p>The recording of Sunday's class is not on my course page.</p>",
      category: "recording",
    },
  });
const first = expectStatus(await open(), 201, "POST /v1/tickets");
const ticket = first.body;
check(/^TKT-\d{4}-\d{6}$/.test(ticket.number), `its number is ${ticket.number}`);
const replay = expectStatus(await open(), 201, "the same request and key again");
check(
  replay.body.id === ticket.id && replay.headers.get("Idempotent-Replayed") === "true",
  `replayed: same ticket ${replay.body.number}, Idempotent-Replayed: true`,
);

console.log("2. An admin adds an internal note and a public reply");
const marker = `internal-note-${run}`;
expectStatus(
  await call("POST", `/v1/admin/tickets/${ticket.id}/replies`, {
    token: admin,
    body: { body: `Checked Zoom: ${marker}`, internal: true },
  }),
  201,
  "internal note",
);
expectStatus(
  await call("POST", `/v1/admin/tickets/${ticket.id}/replies`, {
    token: admin,
    body: { body: "It was still processing; it is in Week 6 now.", status: "pending" },
  }),
  201,
  "public reply (and pending: waiting on the student)",
);

console.log("3. The student sees the reply, never the note; another student gets 404");
const mine = expectStatus(
  await call<Ticket>("GET", `/v1/tickets/${ticket.id}`, { token: student }),
  200,
  "GET /v1/tickets/{id} as its student",
);
check(
  mine.body.messages.some((m) => m.author === "support") && !mine.text.includes(marker),
  `${mine.body.messages.length} messages, the reply among them, the note nowhere in the answer`,
);
expectStatus(
  await call("GET", `/v1/tickets/${ticket.id}`, { token: stranger }),
  404,
  "GET /v1/tickets/{id} as another student",
);

async function upload(token: string, bytes: Uint8Array, name: string, type: string) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), name);
  const res = await fetch(`${base}/v1/tickets/${ticket.id}/attachments`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body, text };
}

console.log("4. An HTML file renamed .png is refused");
const html = new TextEncoder().encode("<!doctype html><script>alert(document.cookie)</script>");
expectStatus(
  await upload(student, html, "screenshot.png", "image/png"),
  415,
  "upload page.html as screenshot.png",
);

console.log("5. A 9 MB PDF is accepted and downloadable by its owner only");
const pdf = new Uint8Array(9 * 1024 * 1024).fill(0x41);
pdf.set(new TextEncoder().encode("%PDF-1.7\n%"), 0);
pdf.set(new TextEncoder().encode("\n%%EOF\n"), pdf.length - 7);
const stored = expectStatus(
  await upload(student, pdf, "fee receipt.pdf", "application/pdf"),
  201,
  "upload a 9 MB PDF",
);
const url = String(stored.body.url);
const download = await fetch(`${base}${url}`, { headers: { Authorization: `Bearer ${student}` } });
const got = new Uint8Array(await download.arrayBuffer());
check(
  download.status === 200 &&
    got.length === pdf.length &&
    got.every((b, i) => b === pdf[i]) &&
    (download.headers.get("Content-Disposition") ?? "").startsWith("attachment;") &&
    download.headers.get("X-Content-Type-Options") === "nosniff",
  `its owner downloads the same ${got.length} bytes as an attachment (nosniff)`,
);
const theirs = await fetch(`${base}${url}`, { headers: { Authorization: `Bearer ${stranger}` } });
check(theirs.status === 404, `another student → ${theirs.status}`);

console.log("6. A move outside the lifecycle is 409 with the allowed next states");
const refused = await call<{ allowedNextStatuses: string[] }>(
  "PATCH",
  `/v1/admin/tickets/${ticket.id}`,
  { token: admin, body: { status: "closed" } },
);
check(
  refused.status === 409 && Array.isArray(refused.body.allowedNextStatuses),
  `pending → closed: ${refused.status}, allowed ${JSON.stringify(refused.body.allowedNextStatuses)}`,
  refused,
);

console.log("7. Urgent first-response deadlines in business hours (IST, Mon–Sat 09:00–18:00)");
const db = new pg.Client({
  connectionString: `postgres://postgres:postgres@127.0.0.1:${PG_PORT}/coaching`,
});
await db.connect();
async function openedAt(instant: string, expectedDue: string, what: string) {
  const t = expectStatus(
    await call<Ticket>("POST", "/v1/tickets", {
      token: student,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      body: { subject: `SLA walk ${what} (${run})`, body: "Payment failed", category: "payment" },
    }),
    201,
    `open a ticket (${what})`,
  ).body;
  // Opened at `instant`: the ticket and its `created` timeline event. tickets_guard keeps a
  // ticket's creation time: this dev-only superuser session skips triggers to set it back.
  await db.query("SET session_replication_role = replica");
  await db.query("UPDATE tickets SET created_at = $2 WHERE id = $1", [t.id, instant]);
  await db.query(
    "UPDATE ticket_events SET created_at = $2 WHERE ticket_id = $1 AND kind = 'created'",
    [t.id, instant],
  );
  await db.query("SET session_replication_role = DEFAULT");
  const urgent = expectStatus(
    await call<Ticket>("PATCH", `/v1/admin/tickets/${t.id}`, {
      token: admin,
      body: { priority: "urgent" },
    }),
    200,
    "priority → urgent",
  );
  const due = urgent.body.firstResponseDueAt ?? "";
  check(
    new Date(due).getTime() === new Date(expectedDue).getTime(),
    `opened ${what}: first response due ${ist(due)} (expected ${ist(expectedDue)})`,
    urgent as never,
  );
}
const ist = (iso: string) =>
  new Date(iso).toLocaleString("en-IN", {
    timeZone: "Asia/Kolkata",
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
try {
  await openedAt("2026-11-28T17:30:00+05:30", "2026-11-30T09:30:00+05:30", "Sat 28 Nov 17:30 IST");
  await openedAt("2026-12-24T17:30:00+05:30", "2026-12-26T09:30:00+05:30", "Thu 24 Dec 17:30 IST");
} finally {
  await db.end();
}

console.log("walk:tickets: every step behaved as described");
