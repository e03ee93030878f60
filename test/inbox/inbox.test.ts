/**
 * The admins' inbox through the mounted app: who may call it, opening threads, replies (the
 * one transaction, the WhatsApp window at its boundary, idempotency), the message list, and a
 * thread's flags (read/unread, archive, snooze, assignee) with the inbox's unread counts.
 */
import { and, desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  auditLogs,
  contactActivities,
  conversations,
  messages,
  notifications,
  users,
} from "../../src/db/schema";
import { openVariables } from "../../src/lib/notifications/seal";
import type { Harness } from "../support/harness";
import {
  type ConversationBody,
  type ConversationPageBody,
  freshPhone,
  inboundText,
  inboxHarness,
  insertContact,
  LEAD_FOLLOW_UP,
  openThread,
  postWhatsApp,
  reply,
  rowCounts,
  setLastInbound,
  threadByAddress,
} from "./support";

const HOUR = 3_600_000;
const SOME_ID = "00000000-0000-4000-8000-000000000001";

/** A WhatsApp thread the contact opened (window open), and an admin. */
async function whatsappThread(h: Harness) {
  const admin = await h.asAdmin();
  const phone = freshPhone();
  const res = await postWhatsApp(h, inboundText(phone, "Hi, I want to join"));
  expect(res.status, res.text).toBe(200);
  const thread = await threadByAddress(h, "whatsapp", phone);
  if (!thread) throw new Error("no thread");
  return { admin, phone, thread };
}

describe("who may use the inbox", () => {
  const routes: [string, string, unknown?][] = [
    ["GET", "/v1/admin/conversations"],
    ["POST", "/v1/admin/conversations", { contactId: SOME_ID, channel: "sms" }],
    ["PATCH", `/v1/admin/conversations/${SOME_ID}`, { important: true }],
    ["GET", `/v1/admin/conversations/${SOME_ID}/messages`],
    ["POST", `/v1/admin/conversations/${SOME_ID}/messages`, { text: "Hi" }],
    ["GET", "/v1/admin/messages/search?q=fees"],
  ];
  it.for(routes)(
    "%s %s: anonymous 401, student 403, admin and super admin past",
    async ([method, path, body], t) => {
      const h = await inboxHarness(t);
      const headers = { "Idempotency-Key": crypto.randomUUID() };
      const anonymous = await h.request(method, path, body, { headers });
      expect(anonymous.status, anonymous.text).toBe(401);
      const student = await h.asStudent();
      const denied = await h.request(method, path, body, {
        headers: { ...headers, ...student.auth },
      });
      expect(denied.status, denied.text).toBe(403);
      for (const role of ["admin", "super_admin"] as const) {
        const u = await h.asAdmin(role);
        const res = await h.request(method, path, body, {
          headers: { ...u.auth, "Idempotency-Key": crypto.randomUUID() },
        });
        expect([200, 201, 404], `${role}: ${res.text}`).toContain(res.status);
      }
    },
  );
});

describe("POST /v1/admin/conversations", () => {
  it("opens a thread once (201, then 200 with the same thread); 422 without an address; 404 unknown", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const contact = await insertContact(h, { phone: null });
    const first = await openThread(h, admin, contact.id, "email");
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({
      channel: "email",
      address: contact.email,
      unreadCount: 0,
      contact: { id: contact.id },
    });
    const again = await openThread(h, admin, contact.id, "email");
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const audits = await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "conversation.open"), eq(auditLogs.entityId, first.body.id)));
    expect(audits).toHaveLength(1);

    const noPhone = await openThread(h, admin, contact.id, "whatsapp");
    expect(noPhone.status, noPhone.text).toBe(422);
    expect((noPhone.body as unknown as { code: string }).code).toBe("CONTACT_UNREACHABLE");
    const unknown = await openThread(h, admin, SOME_ID, "sms");
    expect(unknown.status, unknown.text).toBe(404);
  });
});

describe("POST /v1/admin/conversations/{id}/messages", () => {
  it("a free-text reply within 24 h: message and notification queued in one go, with activity and audit", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);
    const res = await reply(h, admin, thread.id, { text: "The batch starts on Monday at 7 pm" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.message).toMatchObject({
      status: "queued",
      body: "The batch starts on Monday at 7 pm",
    });
    expect(res.body.notification).toMatchObject({ status: "queued", transactional: true });
    // Transactional: not held for quiet hours.
    expect(Math.abs(Date.parse(res.body.notification.notBefore) - Date.now())).toBeLessThan(60_000);

    const [notification] = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, res.body.notification.id));
    expect(notification).toMatchObject({
      status: "queued",
      channel: "whatsapp",
      toAddress: phone,
      template: "conversation_reply",
      variables: { text: "The batch starts on Monday at 7 pm" },
      transactional: true,
      messageId: res.body.message.id,
      contactId: thread.contactId,
    });
    const [message] = await h.db
      .select()
      .from(messages)
      .where(eq(messages.id, res.body.message.id));
    expect(message).toMatchObject({
      direction: "outbound",
      status: "queued",
      sentBy: admin.id,
      notificationId: res.body.notification.id,
    });
    expect(await threadByAddress(h, "whatsapp", phone)).toMatchObject({
      lastMessagePreview: "The batch starts on Monday at 7 pm",
    });
    const [activity] = await h.db
      .select()
      .from(contactActivities)
      .where(
        and(
          eq(contactActivities.contactId, thread.contactId),
          eq(contactActivities.kind, "message.sent"),
        ),
      );
    expect(activity).toMatchObject({ actorId: admin.id, data: { messageId: res.body.message.id } });
    const [audit] = await h.db
      .select()
      .from(auditLogs)
      .where(
        and(eq(auditLogs.action, "message.send"), eq(auditLogs.entityId, res.body.message.id)),
      );
    expect(audit?.actorId).toBe(admin.id);
  });

  it("the WhatsApp window at its edge: 23 h 59 m free text is queued, 24 h 00 m is 409 with nothing written, a template still goes", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);

    await setLastInbound(h, thread.id, new Date(Date.now() - 24 * HOUR + 60_000));
    const inside = await reply(h, admin, thread.id, { text: "Still there?" });
    expect(inside.status, JSON.stringify(inside.body)).toBe(201);

    await setLastInbound(h, thread.id, new Date(Date.now() - 24 * HOUR));
    const before = await rowCounts(h, thread.id, phone);
    const closed = await reply(h, admin, thread.id, { text: "Hello again" });
    expect(closed.status, JSON.stringify(closed.body)).toBe(409);
    expect(closed.body.code).toBe("WHATSAPP_WINDOW_CLOSED");
    expect(await rowCounts(h, thread.id, phone)).toEqual(before);

    const template = await reply(h, admin, thread.id, LEAD_FOLLOW_UP);
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    expect(template.body.notification.transactional).toBe(false);
    const [row] = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, template.body.notification.id));
    expect(row).toMatchObject({
      template: "lead_follow_up",
      status: "queued",
      transactional: false,
    });
    // The unsubscribe link is made for the recipient and sealed, never stored in the clear or
    // copied into the thread.
    expect(row?.variables).not.toHaveProperty("unsubscribeLink");
    expect(row?.sealedVariables).toBeTruthy();
    const opened = await openVariables(h.env.JWT_SECRET, row?.id ?? "", row?.sealedVariables ?? "");
    const made = new URL(String(opened?.unsubscribeLink));
    expect(made.pathname).toBe("/v1/unsubscribe");

    // An admin cannot choose the opt-out link, nor send account or payment templates.
    for (const body of [
      {
        template: {
          ...LEAD_FOLLOW_UP.template,
          variables: {
            ...LEAD_FOLLOW_UP.template.variables,
            unsubscribeLink: "https://evil.example/unsubscribe",
          },
        },
      },
      {
        template: {
          name: "password_reset",
          variables: { name: "Asha", link: "https://evil.example/reset?token=x" },
        },
      },
      { template: { name: "payment_receipt", variables: {} } },
    ]) {
      const refusedTemplate = await reply(h, admin, thread.id, body);
      expect(refusedTemplate.status, JSON.stringify(body)).toBe(400);
      expect(refusedTemplate.body.code).toBe("VALIDATION_FAILED");
    }
    const [message] = await h.db
      .select()
      .from(messages)
      .where(eq(messages.id, template.body.message.id));
    expect(message?.template).toBe("lead_follow_up");
    expect(JSON.stringify(message)).not.toContain(made.searchParams.get("token") ?? "-");
    expect(message?.body).toContain("UPSC Prelims 2027 Foundation");

    // A contact who never wrote has no window at all.
    const contact = await insertContact(h);
    const cold = await openThread(h, admin, contact.id, "whatsapp");
    const refused = await reply(h, admin, cold.body.id, { text: "Hi!" });
    expect(refused.status).toBe(409);
  });

  it("replays a retried request (same Idempotency-Key) instead of sending twice", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);
    const headers = { ...admin.auth, "Idempotency-Key": crypto.randomUUID() };
    const path = `/v1/admin/conversations/${thread.id}/messages`;
    const first = await h.post<unknown, { message: { id: string } }>(
      path,
      { text: "Once" },
      { headers },
    );
    expect(first.status, first.text).toBe(201);
    const second = await h.post<unknown, { message: { id: string } }>(
      path,
      { text: "Once" },
      { headers },
    );
    expect(second.status, second.text).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.body.message.id).toBe(first.body.message.id);
    expect(await rowCounts(h, thread.id, phone)).toEqual({ messages: 2, notifications: 1 });
    const missing = await h.post(path, { text: "No key" }, { headers: admin.auth });
    expect(missing.status, missing.text).toBe(400);
  });

  it("refuses what cannot be sent: a subject outside email, unknown templates, bad variables, unknown threads", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);
    const before = await rowCounts(h, thread.id, phone);
    const cases: [unknown, number][] = [
      [{ text: "Hi", subject: "Hello" }, 400],
      [{ template: { name: "no_such_template", variables: {} } }, 400],
      [{ template: { name: "lead_follow_up", variables: { name: "Only a name" } } }, 400],
      [
        {
          template: {
            name: "lead_follow_up",
            variables: { ...LEAD_FOLLOW_UP.template.variables, link: "javascript:alert(1)" },
          },
        },
        400,
      ],
      [{ text: "" }, 400],
      [{ text: "Hi", template: LEAD_FOLLOW_UP.template }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await reply(h, admin, thread.id, body);
      expect(res.status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).toBe(status);
    }
    expect(await rowCounts(h, thread.id, phone)).toEqual(before);
    expect((await reply(h, admin, SOME_ID, { text: "Hi" })).status).toBe(404);
  });

  it("an email reply carries its subject; its notification is conversation_reply with both", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const contact = await insertContact(h);
    const thread = await openThread(h, admin, contact.id, "email");
    const res = await reply(h, admin, thread.body.id, {
      text: "Attached: the syllabus",
      subject: "Syllabus",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const [row] = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, res.body.notification.id));
    expect(row).toMatchObject({
      channel: "email",
      toAddress: contact.email,
      variables: { text: "Attached: the syllabus", subject: "Syllabus" },
    });
  });
});

describe("GET /v1/admin/conversations/{id}/messages", () => {
  it("pages newest first by keyset; 404 for an unknown thread", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);
    await postWhatsApp(h, inboundText(phone, "Second", { at: new Date(Date.now() + 1000) }));
    await reply(h, admin, thread.id, { text: "Third" });
    type Page = { data: { body: string }[]; pagination: { nextCursor: string | null } };
    const path = `/v1/admin/conversations/${thread.id}/messages`;
    const one = await h.get<Page>(`${path}?limit=2`, { headers: admin.auth });
    expect(one.status, one.text).toBe(200);
    expect(one.body.data.map((m) => m.body)).toEqual(["Third", "Second"]);
    expect(one.body.pagination.nextCursor).toBeTruthy();
    const two = await h.get<Page>(
      `${path}?limit=2&cursor=${encodeURIComponent(one.body.pagination.nextCursor ?? "")}`,
      { headers: admin.auth },
    );
    expect(two.body.data.map((m) => m.body)).toEqual(["Hi, I want to join"]);
    expect(two.body.pagination.nextCursor).toBeNull();
    const missing = await h.get(`/v1/admin/conversations/${SOME_ID}/messages`, {
      headers: admin.auth,
    });
    expect(missing.status, missing.text).toBe(404);
  });
});

describe("thread flags and the inbox", () => {
  const list = (h: Harness, headers: Record<string, string>, query = "") =>
    h.get<ConversationPageBody>(`/v1/admin/conversations?limit=100${query}`, { headers });
  const ids = (page: ConversationPageBody) => page.data.map((c) => c.id);
  const patch = (h: Harness, headers: Record<string, string>, id: string, body: unknown) =>
    h.patch<unknown, ConversationBody & { code?: string }>(`/v1/admin/conversations/${id}`, body, {
      headers,
    });

  it("read and unread move the thread's count and the inbox's counts (whatever the filters)", async (t) => {
    const h = await inboxHarness(t);
    const { admin, phone, thread } = await whatsappThread(h);
    await postWhatsApp(h, inboundText(phone, "Anyone?"));
    const before = await list(h, admin.auth);
    expect(before.body.data.find((c) => c.id === thread.id)?.unreadCount).toBe(2);
    // Filters do not change the counts.
    const filtered = await list(h, admin.auth, "&channel=email&important=true");
    expect(filtered.body.unread).toEqual(before.body.unread);
    expect(ids(filtered.body)).not.toContain(thread.id);

    const read = await patch(h, admin.auth, thread.id, { read: true });
    expect(read.status, read.text).toBe(200);
    expect(read.body.unreadCount).toBe(0);
    const after = await list(h, admin.auth);
    expect(after.body.unread).toEqual({
      conversations: before.body.unread.conversations - 1,
      messages: before.body.unread.messages - 2,
    });
    expect(ids((await list(h, admin.auth, "&unread=true")).body)).not.toContain(thread.id);
    expect(ids((await list(h, admin.auth, "&unread=false")).body)).toContain(thread.id);

    const unread = await patch(h, admin.auth, thread.id, { read: false });
    expect(unread.body.unreadCount).toBe(1);
    const [audit] = await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "conversation.update"), eq(auditLogs.entityId, thread.id)))
      .orderBy(desc(auditLogs.id))
      .limit(1);
    expect(audit?.before).toMatchObject({ unreadCount: 0 });
    expect(audit?.after).toMatchObject({ unreadCount: 1 });
  });

  it("a snoozed thread is hidden (and not counted) until its time passes; archived ones live in the archive", async (t) => {
    const h = await inboxHarness(t);
    const { admin, thread } = await whatsappThread(h);
    const counted = (await list(h, admin.auth)).body.unread;
    const until = new Date(Date.now() + 2 * HOUR).toISOString();
    const snoozed = await patch(h, admin.auth, thread.id, { snoozedUntil: until });
    expect(snoozed.status, snoozed.text).toBe(200);
    expect(snoozed.body.snoozedUntil).toBe(until);
    const hidden = await list(h, admin.auth);
    expect(ids(hidden.body)).not.toContain(thread.id);
    expect(hidden.body.unread.conversations).toBe(counted.conversations - 1);
    expect(ids((await list(h, admin.auth, "&snoozed=true")).body)).toContain(thread.id);

    // Time passes (no job): the thread is back.
    await h.db
      .update(conversations)
      .set({ snoozedUntil: new Date(Date.now() - 1000) })
      .where(eq(conversations.id, thread.id));
    const back = await list(h, admin.auth);
    expect(ids(back.body)).toContain(thread.id);
    expect(back.body.unread).toEqual(counted);

    expect(
      (
        await patch(h, admin.auth, thread.id, {
          snoozedUntil: new Date(Date.now() - HOUR).toISOString(),
        })
      ).status,
    ).toBe(400);
    expect((await patch(h, admin.auth, thread.id, { snoozedUntil: null })).status).toBe(200);

    const archived = await patch(h, admin.auth, thread.id, { archived: true, important: true });
    expect(archived.body).toMatchObject({ archived: true, important: true });
    expect(ids((await list(h, admin.auth)).body)).not.toContain(thread.id);
    expect(ids((await list(h, admin.auth, "&archived=true&important=true")).body)).toContain(
      thread.id,
    );
  });

  it("assigns to active admins only; assignee=me and none filter", async (t) => {
    const h = await inboxHarness(t);
    const { admin, thread } = await whatsappThread(h);
    const other = await h.asAdmin("super_admin");
    const student = await h.asStudent();
    const disabled = await h.asAdmin();
    await h.db.update(users).set({ status: "disabled" }).where(eq(users.id, disabled.id));

    for (const assigneeId of [student.id, disabled.id, SOME_ID]) {
      const res = await patch(h, admin.auth, thread.id, { assigneeId });
      expect(res.status, res.text).toBe(400);
    }
    expect((await patch(h, admin.auth, thread.id, { assigneeId: other.id })).body.assigneeId).toBe(
      other.id,
    );
    expect(ids((await list(h, other.auth, "&assignee=me")).body)).toContain(thread.id);
    expect(ids((await list(h, admin.auth, "&assignee=me")).body)).not.toContain(thread.id);
    expect(ids((await list(h, admin.auth, `&assignee=${other.id}`)).body)).toContain(thread.id);
    expect(ids((await list(h, admin.auth, "&assignee=none")).body)).not.toContain(thread.id);
    expect(
      (await patch(h, admin.auth, thread.id, { assigneeId: null })).body.assigneeId,
    ).toBeNull();
    expect(ids((await list(h, admin.auth, "&assignee=none")).body)).toContain(thread.id);

    expect((await patch(h, admin.auth, thread.id, {})).status).toBe(400);
    expect((await patch(h, admin.auth, thread.id, { unknown: 1 })).status).toBe(400);
    expect((await patch(h, admin.auth, SOME_ID, { important: true })).status).toBe(404);
  });

  it("newest activity first, by keyset across pages", async (t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const phones = [freshPhone(), freshPhone(), freshPhone()];
    for (const phone of phones) await postWhatsApp(h, inboundText(phone, "Hello"));
    const threads = await Promise.all(phones.map((p) => threadByAddress(h, "whatsapp", p)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await h.get<ConversationPageBody>(
        `/v1/admin/conversations?limit=2&channel=whatsapp${query}`,
        { headers: admin.auth },
      );
      expect(page.status, page.text).toBe(200);
      seen.push(...ids(page.body));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    const ours = seen.filter((id) => threads.some((th) => th?.id === id));
    expect(ours).toEqual([threads[2]?.id, threads[1]?.id, threads[0]?.id]);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
