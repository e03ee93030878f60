/**
 * Who sees what of a ticket: internal notes never reach the student by any route (nor through
 * their database context), another student gets 404 from every route, students get 403 from the
 * admin routes; and what a student may link and write when opening a ticket.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tickets } from "../../src/db/schema";
import { inContext } from "../db/support";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { insertEnrolment } from "../support/learning";
import {
  messagesOf,
  outboxTo,
  type Problem,
  rate,
  studentClose,
  studentReply,
  ticketRow,
} from "./life-support";
import { adminReply, openTicket, PNG, type StudentTicket, upload } from "./support";

const SURNAME = "Venkataraghavan";

/**
 * A solved ticket with an internal note carrying `marker` (twice: alone, and with a status
 * move), a public reply and the student's PNG attachment.
 */
async function ticketWithNote(t: Parameters<typeof Harness.init>[0]) {
  const h = await Harness.init(t);
  const student = await h.asStudent();
  const admin = await h.createUser({ role: "admin", fullName: `Divya ${SURNAME}` });
  const marker = `NOTE-MARKER-${crypto.randomUUID()}`;
  const ticket = await openTicket(h, student, { subject: "Refund not received" });
  await adminReply(h, admin, ticket.id, {
    body: `<p>${marker}: refund was flagged</p>`,
    internal: true,
  });
  await adminReply(h, admin, ticket.id, { body: "<p>We are looking into it.</p>" });
  const up = await upload(h, student, ticket.id, PNG, "receipt.png");
  expect(up.status, up.text).toBe(201);
  const attachmentId = String(up.body.id);
  await adminReply(h, admin, ticket.id, {
    body: `${marker} (second note) solving now`,
    internal: true,
    status: "solved",
  });
  const all = await messagesOf(h, ticket.id);
  expect(all.filter((m) => m.internal)).toHaveLength(2);
  expect(all.filter((m) => m.internal).every((m) => m.bodyText.includes(marker))).toBe(true);
  return { h, student, admin, marker, ticket, attachmentId };
}

/** Nothing of the notes, nor of the admin's account beyond a first name. */
function expectClean(
  res: { status: number; text: string },
  marker: string,
  admin: TestUser,
  label: string,
) {
  expect(res.text, label).not.toContain(marker);
  expect(res.text, label).not.toContain("refund was flagged");
  expect(res.text, label).not.toMatch(/"internal"\s*:/);
  expect(res.text, label).not.toContain(SURNAME);
  expect(res.text, label).not.toContain(admin.email);
  expect(res.text, label).not.toContain(admin.id);
}

describe("the owning student never sees an internal note", () => {
  it("on every student route", async (t) => {
    const { h, student, admin, marker, ticket, attachmentId } = await ticketWithNote(t);
    const headers = student.auth;

    const get = await h.get<StudentTicket>(`/v1/tickets/${ticket.id}`, { headers });
    expect(get.status, get.text).toBe(200);
    expectClean(get, marker, admin, "GET ticket");
    expect(get.body.status).toBe("solved");
    expect(get.body.messages.map((m) => [m.author, m.authorName])).toEqual([
      ["student", "Test User"],
      ["support", "Divya"],
    ]);
    expect(get.body.timeline.map((e) => e.kind)).not.toContain("note_added");
    expect(get.body.attachments.map((a) => a.id)).toEqual([attachmentId]);

    const list = await h.get<{ data: { id: string }[] }>("/v1/me/tickets", { headers });
    expect(list.status, list.text).toBe(200);
    expectClean(list, marker, admin, "GET /v1/me/tickets");
    expect(list.body.data.map((x) => x.id)).toEqual([ticket.id]);

    const down = await h.fetch(`/v1/attachments/${attachmentId}`, { headers });
    expect(down.status).toBe(200);
    expect(down.headers.get("Content-Type")).toBe("image/png");
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(PNG);

    const up = await upload(h, student, ticket.id, PNG, "second.png");
    expect(up.status, up.text).toBe(201);
    expectClean(up, marker, admin, "POST attachments");

    const rated = await rate(h, student, ticket.id, { score: 5, comment: "Thanks" });
    expect(rated.status, rated.text).toBe(200);
    expectClean(rated, marker, admin, "POST rating");

    const replied = await studentReply(h, student, ticket.id, "One more question");
    expect(replied.status, replied.text).toBe(201);
    expectClean(replied, marker, admin, "POST replies");
    expect(replied.body.messages).toHaveLength(3);

    const closed = await studentClose(h, student, ticket.id);
    expect(closed.status, closed.text).toBe(200);
    expectClean(closed, marker, admin, "POST close");

    // The note was never emailed either.
    expect(JSON.stringify(await outboxTo(h, student.email))).not.toContain(marker);
  });

  it("nor through their database context: RLS hides notes and refuses writing them", async (t) => {
    const { h, student, admin, marker, ticket } = await ticketWithNote(t);
    const asStudent = { userId: student.id, role: "student" as const };

    const rows = await inContext(asStudent, (q) =>
      q<{ internal: boolean; body_text: string }>(
        "select internal, body_text from ticket_messages where ticket_id = $1",
        [ticket.id],
      ),
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => !r.internal && !r.body_text.includes(marker))).toBe(true);
    const adminRows = await inContext({ userId: admin.id, role: "admin" }, (q) =>
      q("select id from ticket_messages where ticket_id = $1", [ticket.id]),
    );
    expect(adminRows).toHaveLength(4);
    const kinds = await inContext(asStudent, (q) =>
      q<{ kind: string }>("select kind from ticket_events where ticket_id = $1", [ticket.id]),
    );
    expect(kinds.map((k) => k.kind)).not.toContain("note_added");
    expect(kinds.length).toBeGreaterThan(0);

    const insert = (role: string, internal: boolean) =>
      inContext(asStudent, (q) =>
        q(
          `insert into ticket_messages (ticket_id, author_id, author_role, internal, body_html, body_text)
           values ($1, $2, $3, $4, 'x', 'x') returning id`,
          [ticket.id, student.id, role, internal],
        ),
      );
    // A plain student message is allowed (rolled back): the refusals below are the policy's.
    expect(await insert("student", false)).toHaveLength(1);
    await expect(insert("admin", true)).rejects.toThrow(/row-level security/);
    await expect(insert("admin", false)).rejects.toThrow(/row-level security/);
    await expect(insert("student", true)).rejects.toThrow();
    expect(await messagesOf(h, ticket.id)).toHaveLength(4);
  });

  it("a student cannot change priority or assignee of their own ticket in SQL", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    const asStudent = { userId: student.id, role: "student" as const };
    const update = (set: string, params: unknown[] = []) =>
      inContext(asStudent, (q) =>
        q(`update tickets set ${set} where id = $1 returning status`, [ticket.id, ...params]),
      );
    // Closing is theirs to do (rolled back): the guard refuses the rest, not every update.
    expect(await update("status = 'closed', closed_at = now()")).toEqual([{ status: "closed" }]);
    await expect(update("priority = 'urgent'")).rejects.toThrow(/may only reply, close/);
    await expect(update("assignee_id = $2", [admin.id])).rejects.toThrow(/may only reply, close/);
    await expect(update("status = 'solved', solved_at = now()")).rejects.toThrow(
      /may only reply, close/,
    );
    const other = await h.asStudent();
    const theirs = await inContext({ userId: other.id, role: "student" }, (q) =>
      q("update tickets set status = 'closed' where id = $1 returning id", [ticket.id]),
    );
    expect(theirs).toEqual([]);
    expect(await ticketRow(h, ticket.id)).toMatchObject({
      status: "open",
      priority: "normal",
      assigneeId: null,
    });
  });
});

describe("another student", () => {
  it("gets 404 from every route on the ticket and its attachment, and no listing", async (t) => {
    const { h, student, admin, marker, ticket, attachmentId } = await ticketWithNote(t);
    const other = await h.asStudent();
    await openTicket(h, other, { subject: "My own" });
    const headers = other.auth;
    const before = await ticketRow(h, ticket.id);

    const calls = [
      ["GET ticket", await h.get(`/v1/tickets/${ticket.id}`, { headers })],
      ["POST replies", await studentReply(h, other, ticket.id, "Let me in")],
      ["POST close", await studentClose(h, other, ticket.id)],
      ["POST rating", await rate(h, other, ticket.id, { score: 1 })],
      ["POST attachments", await upload(h, other, ticket.id, PNG, "x.png")],
      ["GET attachment", await h.get(`/v1/attachments/${attachmentId}`, { headers })],
    ] as const;
    for (const [label, res] of calls) {
      expect(res.status, `${label}: ${res.text}`).toBe(404);
      expect((res.body as Problem).code, label).toBe("NOT_FOUND");
      expect(res.text, label).not.toContain("Refund not received");
      expectClean(res, marker, admin, label);
    }

    const list = await h.get<{ data: { id: string; subject: string }[] }>("/v1/me/tickets", {
      headers,
    });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data.map((x) => x.subject)).toEqual(["My own"]);
    expect(list.text).not.toContain(ticket.id);

    expect(await ticketRow(h, ticket.id)).toEqual(before);
    expect(await messagesOf(h, ticket.id)).toHaveLength(4);
    const owner = await h.get<StudentTicket>(`/v1/tickets/${ticket.id}`, {
      headers: student.auth,
    });
    expect(owner.body.attachments).toHaveLength(1);
    expect(owner.body.rating).toBeNull();
  });

  it("a student gets 403 from every admin ticket route", async (t) => {
    const { h, student, admin, marker, ticket } = await ticketWithNote(t);
    const headers = student.auth;
    const calls = [
      ["list", await h.get("/v1/admin/tickets", { headers })],
      ["stats", await h.get("/v1/admin/tickets/stats", { headers })],
      ["get", await h.get(`/v1/admin/tickets/${ticket.id}`, { headers })],
      [
        "patch",
        await h.patch(`/v1/admin/tickets/${ticket.id}`, { priority: "urgent" }, { headers }),
      ],
      [
        "reply",
        await h.post(`/v1/admin/tickets/${ticket.id}/replies`, { body: "hi" }, { headers }),
      ],
    ] as const;
    for (const [label, res] of calls) {
      expect(res.status, `${label}: ${res.text}`).toBe(403);
      expectClean(res, marker, admin, label);
    }
    expect((await ticketRow(h, ticket.id))?.priority).toBe("normal");
    expect(await messagesOf(h, ticket.id)).toHaveLength(4);
  });
});

describe("opening a ticket: links, key and body", () => {
  async function enrolled(h: Harness, userId: string) {
    const course = await insertCourse(h.database);
    const batch = await insertBatch(h.database, course.id);
    return insertEnrolment(h.database, userId, batch.id);
  }

  async function paymentOf(h: Harness, userId: string, enrolmentId: string) {
    const [row] = await adminQuery<{ id: string }>(
      `insert into payments (enrolment_id, user_id, amount_paise, provider, expires_at)
       values ($1, $2, 49900, 'instamojo', now() + interval '30 minutes') returning id`,
      [enrolmentId, userId],
      h.database,
    );
    if (!row) throw new Error("payment insert failed");
    return row;
  }

  const post = (h: Harness, student: TestUser, body: Record<string, unknown>, key?: string) =>
    h.post<unknown, StudentTicket & Problem>(
      "/v1/tickets",
      { subject: "Linked", body: "<p>About my enrolment</p>", category: "payment", ...body },
      {
        headers: {
          ...student.auth,
          ...(key === undefined ? { "Idempotency-Key": crypto.randomUUID() } : {}),
        },
      },
    );

  const ticketsOf = (h: Harness, userId: string) =>
    h.db.select().from(tickets).where(eq(tickets.studentId, userId));

  it("another student's enrolment or payment is 422; one's own is 201", async (t) => {
    const h = await Harness.init(t);
    const [me, other] = [await h.asStudent(), await h.asStudent()];
    const mine = await enrolled(h, me.id);
    const theirs = await enrolled(h, other.id);
    const myPayment = await paymentOf(h, me.id, mine.id);
    const theirPayment = await paymentOf(h, other.id, theirs.id);

    const e = await post(h, me, { enrolmentId: theirs.id });
    expect(e.status, e.text).toBe(422);
    expect(e.body.errors?.map((x) => x.path)).toEqual(["enrolmentId"]);
    const p = await post(h, me, { paymentId: theirPayment.id });
    expect(p.status, p.text).toBe(422);
    expect(p.body.errors?.map((x) => x.path)).toEqual(["paymentId"]);
    const unknown = await post(h, me, { enrolmentId: crypto.randomUUID() });
    expect(unknown.status, unknown.text).toBe(422);
    expect(await ticketsOf(h, me.id)).toHaveLength(0);

    const ok = await post(h, me, { enrolmentId: mine.id, paymentId: myPayment.id });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ enrolmentId: mine.id, paymentId: myPayment.id });
    const rows = await ticketsOf(h, me.id);
    expect(rows.map((r) => [r.enrolmentId, r.paymentId])).toEqual([[mine.id, myPayment.id]]);
  });

  it("without an Idempotency-Key it is 400 IDEMPOTENCY_KEY_MISSING", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asStudent();
    const res = await post(h, me, {}, "none");
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("IDEMPOTENCY_KEY_MISSING");
    expect(await ticketsOf(h, me.id)).toHaveLength(0);
  });

  it("a body that sanitises to nothing is 400; what is stored is sanitised", async (t) => {
    const h = await Harness.init(t);
    const me = await h.asStudent();
    for (const body of ["<script>x</script>", "<style>p{}</style>", "<p> </p>"]) {
      const res = await post(h, me, { body });
      expect(res.status, `${body}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
      expect(res.body.errors?.map((x) => x.path)).toContain("body");
    }
    expect(await ticketsOf(h, me.id)).toHaveLength(0);

    const res = await post(h, me, {
      body: `<p onclick="steal()">Hello <b>there</b><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">link</a></p>`,
    });
    expect(res.status, res.text).toBe(201);
    const [message] = await messagesOf(h, res.body.id);
    for (const bad of ["<script", "alert(1)", "onerror", "onclick", "javascript:", "<img"]) {
      expect(message?.bodyHtml).not.toContain(bad);
      expect(res.body.messages[0]?.bodyHtml).not.toContain(bad);
    }
    expect(message?.bodyHtml).toContain("<b>there</b>");
    expect(res.body.messages[0]?.bodyHtml).toBe(message?.bodyHtml);

    const reply = await studentReply(h, me, res.body.id, "<p>ok<script>alert(4)</script></p>");
    expect(reply.status, reply.text).toBe(201);
    const stored = (await messagesOf(h, res.body.id)).at(-1);
    expect(stored?.bodyHtml).not.toContain("<script");
    expect(stored?.bodyHtml).toContain("ok");
  });
});
