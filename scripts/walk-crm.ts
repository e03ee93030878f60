/**
 * `npm run walk:crm` (with `npm run dev` running in another terminal)
 *
 * Walks the CRM and messaging over HTTP against the local API, through the local Queue that
 * `wrangler dev` runs, and prints what each step answered:
 *   1. a lead posted twice with one phone written two ways is one lead with two submissions;
 *   2. a lead without a valid Turnstile token gets 400;
 *   3. a signed WhatsApp message shows up as an unread thread;
 *   4. the admin's free-text reply within 24 h is sent (queued, then delivered by the Queue);
 *   5. after 24 h the same reply gets 409 WHATSAPP_WINDOW_CLOSED, and a template goes;
 *   6. a `read` status followed by a late `delivered` leaves the message `read`;
 *   7. full-text search finds the message, with highlights;
 *   8. a notification whose provider fails three times ends `failed` and visible to admins, and
 *      succeeds on the admin's retry (the development email channel fails an address starting
 *      with "fail" three times, then succeeds).
 * Exits 1 at the first step that does not behave as described. Everything it creates is new.
 * The lead form's `strict` limit is 5 a minute per address: wait a minute between two runs.
 */
import { createHmac } from "node:crypto";
import { call, check, devSecret, expectStatus, login, requireRunningApi } from "./lib/walk.ts";

const run = crypto.randomUUID().slice(0, 8);
/** `n` random decimal digits. */
const digits = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");
const DUMMY_TURNSTILE = "XXXX.DUMMY.TOKEN.XXXX";
const appSecret = devSecret("WHATSAPP_APP_SECRET");

await requireRunningApi("walk:crm");
const admin = await login("admin@demo.in");

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) check(false, `${what} (waited ${seconds} s)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function whatsappWebhook(payload: unknown) {
  const raw = JSON.stringify(payload);
  return call("POST", "/v1/webhooks/whatsapp", {
    raw,
    headers: {
      "Content-Type": "application/json",
      // What Meta sends: sha256= and the hex HMAC-SHA256 of the raw body with the app secret.
      "X-Hub-Signature-256": `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`,
    },
  });
}

const envelope = (value: Record<string, unknown>) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "walk",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550000000", phone_number_id: "walk" },
            ...value,
          },
        },
      ],
    },
  ],
});

const inbound = (from: string, text: string, at: Date) =>
  envelope({
    contacts: [{ profile: { name: `Walk ${run}` }, wa_id: from }],
    messages: [
      {
        from,
        id: `wamid.walk-${run}-${crypto.randomUUID()}`,
        timestamp: String(Math.floor(at.getTime() / 1000)),
        type: "text",
        text: { body: text },
      },
    ],
  });

type Conversation = { id: string; address: string; unreadCount: number };
type Message = { id: string; status: string; providerMessageId: string | null; body: string };

async function threadFor(address: string) {
  const list = await call<{ data: Conversation[]; unread: { conversations: number } }>(
    "GET",
    "/v1/admin/conversations?channel=whatsapp&limit=100",
    { token: admin },
  );
  return list.body.data.find((c) => c.address === address);
}

async function messagesOf(conversationId: string) {
  const res = await call<{ data: Message[] }>(
    "GET",
    `/v1/admin/conversations/${conversationId}/messages`,
    { token: admin },
  );
  return res.body.data;
}

async function reply(conversationId: string, body: unknown) {
  return call<{ message: Message; notification: { id: string } }>(
    "POST",
    `/v1/admin/conversations/${conversationId}/messages`,
    { token: admin, body, headers: { "Idempotency-Key": crypto.randomUUID() } },
  );
}

console.log(`1. One lead from two spellings of one phone (run ${run})`);
const local = `9${digits(9)}`;
const spellings = [`0${local}`, `+91 ${local.slice(0, 5)} ${local.slice(5)}`];
for (const phone of spellings) {
  const res = await call("POST", "/v1/leads", {
    body: {
      name: `Walk Lead ${run}`,
      phone,
      courseInterest: "JEE Physics",
      message: `Asked with ${phone}`,
      consent: { whatsapp: true, sms: false, wording: "You may contact me on WhatsApp." },
      turnstileToken: DUMMY_TURNSTILE,
    },
  });
  expectStatus(res, 202, `POST /v1/leads with phone "${phone}" → 202`);
}
const leads = await call<{ data: { id: string; phone: string }[] }>(
  "GET",
  `/v1/admin/leads?q=${encodeURIComponent(local)}`,
  { token: admin },
);
check(leads.body.data.length === 1, `one lead for +91${local}`, leads);
const lead = leads.body.data[0];
check(lead?.phone === `+91${local}`, `stored as E.164: ${lead?.phone}`, leads);
const detail = await call<{ timeline: { type: string; kind?: string }[] }>(
  "GET",
  `/v1/admin/leads/${lead?.id}`,
  { token: admin },
);
const submissions = detail.body.timeline.filter(
  (e) => e.type === "activity" && /submit|merge/.test(e.kind ?? ""),
);
check(
  submissions.length >= 2,
  `two submissions on its timeline (${submissions.map((s) => s.kind).join(", ")})`,
  detail,
);

console.log("2. A lead without a valid Turnstile token");
const bot = await call("POST", "/v1/leads", {
  body: { name: "Bot", email: `bot-${run}@example.in`, turnstileToken: "forged-token" },
});
expectStatus(bot, 400, "an invalid token → 400");

console.log("3. A signed WhatsApp message becomes an unread thread");
const parent = `+919${digits(9)}`;
const question = `Hello, is the evening physics batch still open for admission ${run}?`;
const hook = await whatsappWebhook(inbound(parent.slice(1), question, new Date()));
expectStatus(hook, 200, "signed webhook → 200");
const unsigned = await call("POST", "/v1/webhooks/whatsapp", {
  raw: JSON.stringify(inbound(parent.slice(1), "forged", new Date())),
  headers: { "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00" },
});
expectStatus(unsigned, 401, "a wrong signature → 401");
const thread = await until("the thread appears", () => threadFor(parent));
check(thread.unreadCount === 1, `unread thread with ${parent} (unread ${thread.unreadCount})`);

console.log("4. A free-text reply within 24 hours is sent");
const sent = await reply(thread.id, { text: `Yes! Seats are open in batch ${run}.` });
expectStatus(sent, 201, "reply accepted → 201");
const delivered = await until("the reply is delivered by the Queue", async () => {
  const msg = (await messagesOf(thread.id)).find((m) => m.id === sent.body.message.id);
  return msg && msg.status !== "queued" ? msg : undefined;
});
check(
  delivered.status === "sent",
  `message ${delivered.status}, provider id ${delivered.providerMessageId}`,
);

console.log("5. After 24 hours free text is refused, a template goes");
const quiet = `+919${digits(9)}`;
await whatsappWebhook(
  inbound(quiet.slice(1), "Any updates?", new Date(Date.now() - 25 * 3_600_000)),
);
const old = await until("the older thread appears", () => threadFor(quiet));
const late = await reply(old.id, { text: "Sorry for the delay!" });
expectStatus(late, 409, "free text after 24 h → 409");
check(
  (late.body as { code?: string }).code === "WHATSAPP_WINDOW_CLOSED",
  "code WHATSAPP_WINDOW_CLOSED",
  late,
);
const templated = await reply(old.id, {
  template: {
    name: "class_reminder",
    variables: {
      name: `Walk ${run}`,
      courseTitle: "JEE Physics",
      batchName: "Evening",
      sessionTitle: "Kinematics",
      link: "http://127.0.0.1:3000/schedule",
      timeZone: "Asia/Kolkata",
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      durationMinutes: 60,
    },
  },
});
expectStatus(templated, 201, "an approved template → 201");

console.log("6. Out-of-order statuses: read, then a late delivered");
const providerId = delivered.providerMessageId ?? "";
const status = (s: string, secondsAgo: number) =>
  envelope({
    statuses: [
      {
        id: providerId,
        status: s,
        timestamp: String(Math.floor(Date.now() / 1000) - secondsAgo),
        recipient_id: parent.slice(1),
      },
    ],
  });
expectStatus(await whatsappWebhook(status("read", 5)), 200, "read → 200");
expectStatus(await whatsappWebhook(status("delivered", 10)), 200, "late delivered → 200");
const after = (await messagesOf(thread.id)).find((m) => m.id === sent.body.message.id);
check(after?.status === "read", `the message stays read (${after?.status})`);

console.log("7. Full-text search");
const search = await call<{ data: { messageId: string; highlight: string }[] }>(
  "GET",
  `/v1/admin/messages/search?q=${encodeURIComponent(`admission ${run}`)}`,
  { token: admin },
);
const hit = search.body.data[0];
check(search.status === 200 && hit !== undefined, "the inbound message is found", search);
check(
  /<mark>admission<\/mark>/i.test(hit?.highlight ?? ""),
  `highlight: ${hit?.highlight}`,
  search,
);

console.log("8. A notification that fails three times, then succeeds on retry");
const failing = `fail-${run}@example.in`;
// Through the admins' CSV import (the public form's `strict` limit is spent above).
const imported = await call<{ created: number }>("POST", "/v1/admin/leads/import", {
  token: admin,
  raw: `name,email\nFailing ${run},${failing}\n`,
  headers: { "Content-Type": "text/csv", "Idempotency-Key": crypto.randomUUID() },
});
check(
  imported.status === 200 && imported.body.created === 1,
  `a lead with ${failing} imported`,
  imported,
);
const failingLead = await call<{ data: { id: string }[] }>(
  "GET",
  `/v1/admin/leads?q=${encodeURIComponent(failing)}`,
  { token: admin },
);
const contactId = failingLead.body.data[0]?.id;
const opened = await call<{ id: string }>("POST", "/v1/admin/conversations", {
  token: admin,
  body: { contactId, channel: "email" },
});
check(opened.status === 200 || opened.status === 201, "email thread opened", opened);
const mail = await reply(opened.body.id, {
  text: "Here are the batch timings.",
  subject: "Batch timings",
});
expectStatus(mail, 201, "email reply queued");
const notificationId = mail.body.notification.id;
const failed = await until(
  "the notification ends failed (three tries with backoff)",
  async () => {
    const list = await call<{
      data: { id: string; status: string; attempts: number; lastError: string }[];
    }>("GET", "/v1/admin/notifications?status=failed&limit=100", { token: admin });
    return list.body.data.find((n) => n.id === notificationId);
  },
  90,
);
check(failed.attempts === 3, `failed after ${failed.attempts} tries: ${failed.lastError}`);
expectStatus(
  await call("POST", `/v1/admin/notifications/${notificationId}/retry`, { token: admin }),
  202,
  "admin retry → 202",
);
await until("the retried notification is sent", async () => {
  const list = await call<{ data: { id: string; status: string }[] }>(
    "GET",
    "/v1/admin/notifications?status=sent&limit=100",
    { token: admin },
  );
  return list.body.data.find((n) => n.id === notificationId);
});
check(true, "sent on retry");
console.log("\nAll CRM steps behaved as described.");
