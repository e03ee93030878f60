/**
 * The messaging webhooks through the mounted app and real Postgres: each signature scheme
 * (good, bad, stale, missing, unconfigured), exactly-once recording, inbound threads and new
 * leads, out-of-order statuses, STOP/START, bounces and complaints.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  consents,
  contactActivities,
  contacts,
  conversations,
  messages,
  notifications,
  suppressions,
  webhookEvents,
} from "../../src/db/schema";
import { signWhatsApp } from "../../src/providers/whatsapp";
import { Harness } from "../support/harness";
import {
  type ConversationPageBody,
  freshEmail,
  freshPhone,
  inboundText,
  inboxHarness,
  insertContact,
  LEAD_FOLLOW_UP,
  openThread,
  postResend,
  postTwilio,
  postWhatsApp,
  reply,
  resendEvent,
  rowCounts,
  statusUpdate,
  threadByAddress,
  twilioInbound,
  twilioSid,
  WEBHOOK_SECRETS,
  wamid,
} from "./support";

const MIN = 60_000;

const eventsOf = async (h: Harness, provider: string) =>
  (
    await h.db.execute<{ n: number }>(
      sql`select count(*)::int as n from ${webhookEvents} where provider = ${provider}`,
    )
  ).rows[0]?.n ?? 0;

describe("POST /v1/webhooks/whatsapp", () => {
  it("a signed inbound message from an unknown number: a new lead and an unread thread", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const phone = freshPhone();
    const res = await postWhatsApp(
      h,
      inboundText(phone, "Is the JEE batch still open?", { name: "Meera Pillai" }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ outcome: "applied", received: 1, duplicates: 0 });

    const thread = await threadByAddress(h, "whatsapp", phone);
    expect(thread).toMatchObject({ unreadCount: 1, archived: false });
    expect(thread?.lastInboundAt).toBeInstanceOf(Date);
    const [contact] = await h.db.select().from(contacts).where(eq(contacts.phone, phone));
    expect(contact).toMatchObject({ name: "Meera Pillai", source: "whatsapp", leadStatus: "new" });
    expect(thread?.contactId).toBe(contact?.id);
    const [message] = await h.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, thread?.id ?? ""));
    expect(message).toMatchObject({
      direction: "inbound",
      status: "received",
      body: "Is the JEE batch still open?",
      provider: "whatsapp",
    });

    const list = await h.get<ConversationPageBody>("/v1/admin/conversations?unread=true", {
      headers: admin.auth,
    });
    expect(list.status, list.text).toBe(200);
    const shown = list.body.data.find((c) => c.id === thread?.id);
    expect(shown).toMatchObject({
      channel: "whatsapp",
      address: phone,
      unreadCount: 1,
      lastMessagePreview: "Is the JEE batch still open?",
      contact: { id: contact?.id, name: "Meera Pillai" },
    });
    expect(list.body.unread.conversations).toBeGreaterThanOrEqual(1);
    expect(list.body.unread.messages).toBeGreaterThanOrEqual(1);
  });

  it("a NUL character in a message or a name is dropped, not a failed delivery", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const res = await postWhatsApp(
      h,
      inboundText(phone, "fees\u0000 for the batch?", { name: "As\u0000ha" }),
    );
    expect(res.status).toBe(200);
    const [row] = await h.db
      .select({ body: messages.body })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(eq(conversations.address, phone));
    expect(row?.body).toBe("fees for the batch?");
  });

  it("a student writing in from their number is their contact, linked, not a new lead", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const student = await h.asStudent();
    await h.db.execute(sql`update users set phone = ${phone} where id = ${student.id}`);
    const res = await postWhatsApp(h, inboundText(phone, "Is tomorrow's class on?"));
    expect(res.status).toBe(200);
    const [thread] = await h.db
      .select({ contactId: conversations.contactId })
      .from(conversations)
      .where(and(eq(conversations.channel, "whatsapp"), eq(conversations.address, phone)));
    const [contact] = await h.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, thread?.contactId ?? ""));
    expect(contact).toMatchObject({ userId: student.id, leadStatus: null, phone });
    const mine = await h.db.select().from(contacts).where(eq(contacts.userId, student.id));
    expect(mine).toHaveLength(1);
  });

  it("a replayed delivery changes nothing (one message, unread 1, answered as a duplicate)", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const payload = inboundText(phone, "Hello", { id: wamid() });
    expect((await postWhatsApp(h, payload)).body.outcome).toBe("applied");
    const events = await eventsOf(h, "whatsapp");
    const again = await postWhatsApp(h, payload);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ outcome: "duplicate", duplicates: 1 });
    const thread = await threadByAddress(h, "whatsapp", phone);
    expect(thread?.unreadCount).toBe(1);
    expect(await eventsOf(h, "whatsapp")).toBe(events);
    const rows = await h.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.conversationId, thread?.id ?? ""));
    expect(rows).toHaveLength(1);
  });

  it("concurrent deliveries: copies of one apply once, distinct messages from a new number make one lead and one thread", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const copy = inboundText(phone, "Copy", { id: wamid() });
    const distinct = [1, 2, 3].map((i) => inboundText(phone, `Message ${i}`));
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => postWhatsApp(h, copy)),
      ...distinct.map((d) => postWhatsApp(h, d)),
    ]);
    for (const a of answers) expect(a.status, a.text).toBe(200);
    expect(answers.slice(0, 5).filter((a) => a.body.outcome === "applied")).toHaveLength(1);
    const people = await h.db.select().from(contacts).where(eq(contacts.phone, phone));
    expect(people).toHaveLength(1);
    const thread = await threadByAddress(h, "whatsapp", phone);
    expect(thread?.unreadCount).toBe(4);
    const rows = await h.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.conversationId, thread?.id ?? ""));
    expect(rows).toHaveLength(4);
  });

  it("an inbound message unsnoozes and unarchives its thread, and counts as unread again", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    await postWhatsApp(h, inboundText(phone, "First"));
    const thread = await threadByAddress(h, "whatsapp", phone);
    await h.db
      .update(conversations)
      .set({ archived: true, snoozedUntil: new Date(Date.now() + 86_400_000), unreadCount: 0 })
      .where(eq(conversations.id, thread?.id ?? ""));
    await postWhatsApp(h, inboundText(phone, "Second"));
    expect(await threadByAddress(h, "whatsapp", phone)).toMatchObject({
      archived: false,
      snoozedUntil: null,
      unreadCount: 1,
      lastMessagePreview: "Second",
    });
  });

  const signatureCases: [string, (raw: string) => Promise<string | null>][] = [
    ["missing", async () => null],
    ["signed with another secret", (raw) => signWhatsApp(raw, "not-the-app-secret")],
    ["not sha256=<hex>", async () => "sha1=abcdef"],
    [
      "over another body",
      (raw) =>
        signWhatsApp(raw.replace("Tampered", "Original"), WEBHOOK_SECRETS.WHATSAPP_APP_SECRET),
    ],
  ];
  it.for(signatureCases)("signature %s → 401, nothing recorded", async ([, sign], t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const raw = JSON.stringify(inboundText(phone, "Tampered"));
    const events = await eventsOf(h, "whatsapp");
    const res = await postWhatsApp(h, null, { rawBody: raw, signature: await sign(raw) });
    expect(res.status, res.text).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe("UNAUTHENTICATED");
    expect(await threadByAddress(h, "whatsapp", phone)).toBeUndefined();
    expect(await eventsOf(h, "whatsapp")).toBe(events);
  });

  it("no app secret configured: a signed delivery is 503, an unsigned one still 401", async (t) => {
    const h = await Harness.init(t, { env: { WHATSAPP_APP_SECRET: "" } });
    const phone = freshPhone();
    const payload = inboundText(phone, "Hi");
    const signed = await postWhatsApp(h, payload, { secret: "whatever-secret" });
    expect(signed.status, signed.text).toBe(503);
    expect(signed.body.code).toBe("WEBHOOK_NOT_CONFIGURED");
    expect((await postWhatsApp(h, payload, { signature: null })).status).toBe(401);
    expect(await threadByAddress(h, "whatsapp", phone)).toBeUndefined();
  });

  it("statuses arrive out of order: a late `delivered` never overwrites `read`", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const phone = freshPhone();
    await postWhatsApp(h, inboundText(phone, "Please call me"));
    const thread = await threadByAddress(h, "whatsapp", phone);
    const sent = await reply(h, admin, thread?.id ?? "", { text: "Calling you at 5" });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    // The consumer records the provider's id on the message (or on its notification, below).
    const providerId = wamid();
    await h.db
      .update(messages)
      .set({ provider: "whatsapp", providerMessageId: providerId })
      .where(eq(messages.id, sent.body.message.id));
    const statusOf = async () =>
      (
        await h.db
          .select({ status: messages.status })
          .from(messages)
          .where(eq(messages.id, sent.body.message.id))
      )[0]?.status;

    expect((await postWhatsApp(h, statusUpdate(providerId, "sent", phone))).status).toBe(200);
    expect(await statusOf()).toBe("sent");
    expect((await postWhatsApp(h, statusUpdate(providerId, "read", phone))).status).toBe(200);
    expect(await statusOf()).toBe("read");
    const late = await postWhatsApp(h, statusUpdate(providerId, "delivered", phone));
    expect(late.status, late.text).toBe(200);
    expect(await statusOf()).toBe("read");
    const failed = await postWhatsApp(h, statusUpdate(providerId, "failed", phone));
    expect(failed.status, failed.text).toBe(200);
    expect(await statusOf()).toBe("read");

    // Matched through the notification's provider id when the message has none.
    const second = await reply(h, admin, thread?.id ?? "", { text: "Or tomorrow?" });
    const otherId = wamid();
    await h.db
      .update(notifications)
      .set({ provider: "whatsapp", providerMessageId: otherId })
      .where(eq(notifications.id, second.body.notification.id));
    await postWhatsApp(h, statusUpdate(otherId, "delivered", phone));
    const [row] = await h.db.select().from(messages).where(eq(messages.id, second.body.message.id));
    expect(row).toMatchObject({ status: "delivered", providerMessageId: otherId });
  });
});

describe("GET /v1/webhooks/whatsapp (subscription check)", () => {
  const url = (token: string, mode = "subscribe", challenge = "1158201444") =>
    `/v1/webhooks/whatsapp?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${challenge}`;

  it("echoes the raw challenge for our token, 403 otherwise, 503 when unconfigured", async (t) => {
    const h = await inboxHarness(t);
    const ok = await h.get<string>(url(WEBHOOK_SECRETS.WHATSAPP_VERIFY_TOKEN));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toBe("1158201444");
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    for (const bad of [
      url("wrong-token"),
      url(WEBHOOK_SECRETS.WHATSAPP_VERIFY_TOKEN, "unsubscribe"),
      url(WEBHOOK_SECRETS.WHATSAPP_VERIFY_TOKEN, "subscribe", "<script>"),
    ]) {
      const res = await h.get<{ code: string }>(bad);
      expect(res.status, `${bad}: ${res.text}`).toBe(403);
      expect(res.body.code).toBe("FORBIDDEN");
    }
    for (const incomplete of [
      "/v1/webhooks/whatsapp",
      `/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WEBHOOK_SECRETS.WHATSAPP_VERIFY_TOKEN}`,
    ]) {
      expect((await h.get(incomplete)).status, incomplete).toBe(400);
    }
    const unconfigured = await Harness.init(t, { env: { WHATSAPP_VERIFY_TOKEN: "" } });
    const res = await unconfigured.get<{ code: string }>(url("anything"));
    expect(res.status, res.text).toBe(503);
  });
});

describe("POST /v1/webhooks/twilio/sms", () => {
  it("an inbound SMS opens a thread; answered with empty TwiML", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const res = await postTwilio(h, twilioInbound(phone, "Fees for NEET?"));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/xml/);
    expect(res.text).toContain("<Response/>");
    expect(await threadByAddress(h, "sms", phone)).toMatchObject({
      unreadCount: 1,
      lastMessagePreview: "Fees for NEET?",
    });
    const [contact] = await h.db.select().from(contacts).where(eq(contacts.phone, phone));
    expect(contact).toMatchObject({ source: "sms", leadStatus: "new" });
  });

  it("signs the public URL when API_PUBLIC_URL is configured (query included)", async (t) => {
    const h = await inboxHarness(t, { API_PUBLIC_URL: "https://api.example.in" });
    const phone = freshPhone();
    const params = twilioInbound(phone, "Hello");
    const query = "?source=crm";
    const local = await postTwilio(h, params, { query });
    expect(local.status, "signed over the request URL instead").toBe(401);
    const res = await postTwilio(h, params, {
      query,
      signedUrl: `https://api.example.in/v1/webhooks/twilio/sms${query}`,
    });
    expect(res.status, res.text).toBe(200);
    expect(await threadByAddress(h, "sms", phone)).toBeDefined();
  });

  const cases: [string, Parameters<typeof postTwilio>[2]][] = [
    ["missing", { signature: null }],
    ["with another auth token", { authToken: "another-auth-token-0123456789" }],
    ["over another URL", { signedUrl: "http://api.test/v1/webhooks/instamojo" }],
    ["garbage", { signature: "bm90IGEgc2lnbmF0dXJl" }],
  ];
  it.for(cases)("signature %s → 401, nothing recorded", async ([, opts], t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    const res = await postTwilio(h, twilioInbound(phone, "Hi"), opts);
    expect(res.status, res.text).toBe(401);
    expect(res.body.code).toBe("UNAUTHENTICATED");
    expect(await threadByAddress(h, "sms", phone)).toBeUndefined();
  });

  it("no auth token configured: signed → 503", async (t) => {
    const h = await Harness.init(t, { env: { TWILIO_AUTH_TOKEN: "" } });
    const res = await postTwilio(h, twilioInbound(freshPhone(), "Hi"));
    expect(res.status, res.text).toBe(503);
  });

  it("a status callback moves the message forward; a replay is a no-op", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const contact = await insertContact(h);
    const thread = await openThread(h, admin, contact.id, "sms");
    const sent = await reply(h, admin, thread.body.id, { text: "Your demo class is at 6 pm" });
    const sid = twilioSid();
    await h.db
      .update(messages)
      .set({ provider: "twilio", providerMessageId: sid })
      .where(eq(messages.id, sent.body.message.id));
    const callback = { MessageSid: sid, MessageStatus: "delivered", To: contact.phone ?? "" };
    expect((await postTwilio(h, callback)).status).toBe(200);
    const events = await eventsOf(h, "twilio");
    expect((await postTwilio(h, callback)).status).toBe(200);
    expect(await eventsOf(h, "twilio")).toBe(events);
    const late = { MessageSid: sid, MessageStatus: "sent", To: contact.phone ?? "" };
    expect((await postTwilio(h, late)).status).toBe(200);
    const [row] = await h.db.select().from(messages).where(eq(messages.id, sent.body.message.id));
    expect(row?.status).toBe("delivered");
  });
});

describe("POST /v1/webhooks/resend", () => {
  async function emailMessage(h: Harness) {
    const admin = await h.asAdmin();
    const contact = await insertContact(h, { email: freshEmail() });
    const thread = await openThread(h, admin, contact.id, "email");
    const sent = await reply(h, admin, thread.body.id, {
      text: "Here is the syllabus",
      subject: "Syllabus",
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const emailId = crypto.randomUUID();
    await h.db
      .update(notifications)
      .set({ provider: "resend", providerMessageId: emailId, status: "sent" })
      .where(eq(notifications.id, sent.body.notification.id));
    return { admin, contact, thread: thread.body, sent: sent.body, emailId };
  }
  const statusOf = async (h: Harness, id: string) =>
    (await h.db.select({ s: messages.status }).from(messages).where(eq(messages.id, id)))[0]?.s;

  it("email.delivered moves the message forward; the same svix-id again changes nothing", async (t) => {
    const h = await inboxHarness(t);
    const { contact, sent, emailId } = await emailMessage(h);
    const id = `msg_${crypto.randomUUID()}`;
    const event = resendEvent("email.delivered", emailId, contact.email ?? "");
    const first = await postResend(h, event, { id });
    expect(first.status, first.text).toBe(200);
    expect(first.body.outcome).toBe("applied");
    expect(await statusOf(h, sent.message.id)).toBe("delivered");
    const replay = await postResend(h, event, { id });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body.outcome).toBe("duplicate");
  });

  it("a hard bounce fails the message and suppresses the address for all mail", async (t) => {
    const h = await inboxHarness(t);
    const { admin, contact, thread, sent, emailId } = await emailMessage(h);
    const email = contact.email ?? "";
    const res = await postResend(
      h,
      resendEvent("email.bounced", emailId, email, {
        bounce: { type: "Permanent", subType: "General", message: "Mailbox does not exist" },
      }),
    );
    expect(res.status, res.text).toBe(200);
    expect(await statusOf(h, sent.message.id)).toBe("failed");
    const [row] = await h.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.channel, "email"), eq(suppressions.address, email)));
    expect(row).toMatchObject({ reason: "hard_bounce", scope: "all" });
    const activity = await h.db
      .select({ kind: contactActivities.kind })
      .from(contactActivities)
      .where(eq(contactActivities.contactId, contact.id));
    expect(activity.map((a) => a.kind)).toContain("email.bounced");
    // The next reply is refused, and the refusal recorded.
    const next = await reply(h, admin, thread.id, { text: "Did you get it?" });
    expect(next.status, JSON.stringify(next.body)).toBe(409);
    expect(next.body.code).toBe("CONTACT_OPTED_OUT");
  });

  it("a soft bounce notes the error but neither fails nor suppresses", async (t) => {
    const h = await inboxHarness(t);
    const { contact, sent, emailId } = await emailMessage(h);
    await postResend(
      h,
      resendEvent("email.bounced", emailId, contact.email ?? "", {
        bounce: { type: "Transient", message: "Mailbox full" },
      }),
    );
    const [row] = await h.db.select().from(messages).where(eq(messages.id, sent.message.id));
    expect(row?.status).toBe("queued");
    expect(row?.error).toMatch(/soft bounce/);
    const suppressed = await h.db
      .select()
      .from(suppressions)
      .where(eq(suppressions.address, contact.email ?? ""));
    expect(suppressed).toHaveLength(0);
  });

  it("a complaint suppresses the address", async (t) => {
    const h = await inboxHarness(t);
    const { contact, emailId } = await emailMessage(h);
    const res = await postResend(h, resendEvent("email.complained", emailId, contact.email ?? ""));
    expect(res.status, res.text).toBe(200);
    const [row] = await h.db
      .select()
      .from(suppressions)
      .where(eq(suppressions.address, contact.email ?? ""));
    expect(row).toMatchObject({ channel: "email", reason: "complaint", scope: "all" });
  });

  const cases: [string, Parameters<typeof postResend>[2]][] = [
    ["missing signature", { signature: null }],
    ["missing svix-id", { omit: ["svix-id"] }],
    ["missing svix-timestamp", { omit: ["svix-timestamp"] }],
    ["signed with another secret", { secret: `whsec_${btoa("another-secret-entirely-0123")}` }],
    ["signed 6 minutes ago (stale)", { signedAt: new Date(Date.now() - 6 * MIN) }],
    ["signed 6 minutes ahead", { signedAt: new Date(Date.now() + 6 * MIN) }],
    ["garbage", { signature: "v1,bm90IGEgc2lnbmF0dXJl" }],
  ];
  it.for(cases)("%s → 401, nothing recorded", async ([, opts], t) => {
    const h = await inboxHarness(t);
    const events = await eventsOf(h, "resend");
    const email = freshEmail();
    const res = await postResend(
      h,
      resendEvent("email.complained", crypto.randomUUID(), email),
      opts,
    );
    expect(res.status, res.text).toBe(401);
    expect(res.body.code).toBe("UNAUTHENTICATED");
    expect(await eventsOf(h, "resend")).toBe(events);
    expect(
      await h.db.select().from(suppressions).where(eq(suppressions.address, email)),
    ).toHaveLength(0);
  });

  it("signed 4 minutes ago is still accepted; unconfigured → 503", async (t) => {
    const h = await inboxHarness(t);
    const email = freshEmail();
    const res = await postResend(h, resendEvent("email.complained", crypto.randomUUID(), email), {
      signedAt: new Date(Date.now() - 4 * MIN),
    });
    expect(res.status, res.text).toBe(200);
    expect(
      await h.db.select().from(suppressions).where(eq(suppressions.address, email)),
    ).toHaveLength(1);
    const bare = await Harness.init(t, { env: { RESEND_WEBHOOK_SECRET: "" } });
    const refused = await postResend(bare, resendEvent("email.delivered", "x", email));
    expect(refused.status, refused.text).toBe(503);
  });
});

describe("STOP and START", () => {
  it.for(["whatsapp", "sms"] as const)(
    "%s: STOP suppresses (a reply is 409 and its suppressed notification persists); START re-allows",
    async (channel, t) => {
      const h = await inboxHarness(t);
      const admin = await h.asAdmin();
      const phone = freshPhone();
      const inbound = (text: string) =>
        channel === "whatsapp"
          ? postWhatsApp(h, inboundText(phone, text))
          : postTwilio(h, twilioInbound(phone, text));
      expect((await inbound("Tell me about the batch")).status).toBe(200);
      const thread = await threadByAddress(h, channel, phone);
      const id = thread?.id ?? "";
      expect((await reply(h, admin, id, { text: "Sure: it starts Monday" })).status).toBe(201);

      expect((await inbound("  stop ")).status).toBe(200);
      const [suppressed] = await h.db
        .select()
        .from(suppressions)
        .where(and(eq(suppressions.channel, channel), eq(suppressions.address, phone)));
      expect(suppressed).toMatchObject({ reason: "stop", scope: "all" });
      const [withdrawn] = await h.db
        .select()
        .from(consents)
        .where(eq(consents.contactId, thread?.contactId ?? ""))
        .orderBy(desc(consents.id))
        .limit(1);
      expect(withdrawn).toMatchObject({ channel, granted: false, source: `${channel}_stop` });

      const refused = await reply(h, admin, id, { text: "Are you sure?" });
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.code).toBe("CONTACT_OPTED_OUT");
      const [refusal] = await h.db
        .select()
        .from(notifications)
        .where(eq(notifications.toAddress, phone))
        .orderBy(desc(notifications.createdAt))
        .limit(1);
      expect(refusal).toMatchObject({ status: "suppressed", template: "conversation_reply" });
      const [failed] = await h.db
        .select()
        .from(messages)
        .where(eq(messages.notificationId, refusal?.id ?? ""));
      expect(failed).toMatchObject({ status: "failed", direction: "outbound" });
      // A template is refused too: STOP stops everything.
      const template = await reply(h, admin, id, LEAD_FOLLOW_UP);
      expect(template.status, JSON.stringify(template.body)).toBe(409);

      expect((await inbound("START")).status).toBe(200);
      expect(
        await h.db
          .select()
          .from(suppressions)
          .where(and(eq(suppressions.channel, channel), eq(suppressions.address, phone))),
      ).toHaveLength(0);
      const [granted] = await h.db
        .select()
        .from(consents)
        .where(eq(consents.contactId, thread?.contactId ?? ""))
        .orderBy(desc(consents.id))
        .limit(1);
      expect(granted).toMatchObject({ channel, granted: true, source: `${channel}_start` });
      const allowed = await reply(h, admin, id, { text: "Welcome back" });
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
      expect(allowed.body.notification.status).toBe("queued");
    },
  );

  it("only the whole message counts: 'please stop calling at night' opts nobody out", async (t) => {
    const h = await inboxHarness(t);
    const phone = freshPhone();
    await postWhatsApp(h, inboundText(phone, "please stop calling at night"));
    expect(
      await h.db.select().from(suppressions).where(eq(suppressions.address, phone)),
    ).toHaveLength(0);
    const thread = await threadByAddress(h, "whatsapp", phone);
    expect(await rowCounts(h, thread?.id ?? "", phone)).toEqual({ messages: 1, notifications: 0 });
  });
});
