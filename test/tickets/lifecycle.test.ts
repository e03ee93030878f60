/**
 * The ticket lifecycle through the mounted app: every admin move allowed and refused (PATCH and
 * a reply's `status`), the student's moves (reply, close, rate), the timeline and audit rows
 * each change leaves, the emails queued in the outbox, and assignees.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notifications } from "../../src/db/schema";
import { ADMIN_NEXT } from "../../src/domains/tickets/service/lifecycle";
import { Harness } from "../support/harness";
import { lastEmailTo } from "../support/outbox";
import {
  adminReplyRaw,
  auditsOf,
  bringTo,
  eventsOf,
  messagesOf,
  outboxTo,
  type Problem,
  rate,
  STATUSES,
  solvedDaysAgo,
  studentClose,
  studentReply,
  ticketRow,
} from "./life-support";
import { adminReply, openTicket, patchTicket } from "./support";

const ALLOWED = new Set([
  "open>pending",
  "open>on_hold",
  "open>solved",
  "pending>open",
  "pending>on_hold",
  "pending>solved",
  "on_hold>open",
  "on_hold>pending",
  "on_hold>solved",
  "solved>open",
  "solved>closed",
]);
const MOVES = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to })));

async function setup(t: Parameters<typeof Harness.init>[0]) {
  const h = await Harness.init(t);
  const [student, admin] = [await h.asStudent(), await h.asAdmin()];
  const ticket = await openTicket(h, student);
  return { h, student, admin, ticket };
}

describe("PATCH /v1/admin/tickets/{id}: the lifecycle", () => {
  it("the table in the code is the documented one", () => {
    const fromCode = Object.entries(ADMIN_NEXT).flatMap(([f, tos]) => tos.map((x) => `${f}>${x}`));
    expect(new Set(fromCode)).toEqual(ALLOWED);
  });

  it.for(MOVES)("$from → $to", async ({ from, to }, t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, from);
    const before = await ticketRow(h, ticket.id);
    const eventsBefore = await eventsOf(h, ticket.id);
    const auditsBefore = await auditsOf(h, ticket.id, "ticket.updated");
    const mailsBefore = await outboxTo(h, student.email);

    const res = await patchTicket(h, admin, ticket.id, { status: to });
    const row = await ticketRow(h, ticket.id);
    const events = await eventsOf(h, ticket.id);
    const audits = await auditsOf(h, ticket.id, "ticket.updated");
    const mails = await outboxTo(h, student.email);

    if (from === to) {
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe(from);
      expect(res.body.allowedNextStatuses).toEqual(ADMIN_NEXT[from]);
      expect(row?.status).toBe(from);
      expect(row?.solvedAt).toEqual(before?.solvedAt);
      expect(row?.closedAt).toEqual(before?.closedAt);
      expect(events).toHaveLength(eventsBefore.length);
      expect(audits).toHaveLength(auditsBefore.length);
      expect(mails).toHaveLength(mailsBefore.length);
    } else if (ALLOWED.has(`${from}>${to}`)) {
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe(to);
      expect(res.body.allowedNextStatuses).toEqual(ADMIN_NEXT[to]);
      expect(row?.status).toBe(to);
      if (to === "solved") {
        expect(row?.solvedAt).toBeInstanceOf(Date);
        expect(res.body.solvedAt).toBe(row?.solvedAt?.toISOString());
      }
      if (from === "solved" && to === "open") {
        expect(row?.solvedAt).toBeNull();
        expect(res.body.solvedAt).toBeNull();
      }
      if (to === "closed") {
        expect(row?.closedAt).toBeInstanceOf(Date);
        expect(res.body.closedAt).toBe(row?.closedAt?.toISOString());
        // Closing keeps when it was solved (the student may still rate it).
        expect(row?.solvedAt).toEqual(before?.solvedAt);
      } else {
        expect(row?.closedAt).toBeNull();
      }
      const added = events.slice(eventsBefore.length);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({
        kind: "status_changed",
        actorId: admin.id,
        data: { from, to },
      });
      expect(audits).toHaveLength(auditsBefore.length + 1);
      expect(audits.at(-1)).toMatchObject({
        actorId: admin.id,
        before: { status: from },
        after: { status: to },
      });
      const newMails = mails.slice(mailsBefore.length);
      expect(newMails.map((m) => [m.template, m.variables.status])).toEqual([
        ["ticket_status", to],
      ]);
    } else {
      expect(res.status, res.text).toBe(409);
      const problem = res.body as unknown as Problem;
      expect(problem.code).toBe("CONFLICT");
      expect(problem.currentStatus).toBe(from);
      expect(problem.allowedNextStatuses).toEqual(ADMIN_NEXT[from]);
      expect(row).toEqual(before);
      expect(events).toHaveLength(eventsBefore.length);
      expect(audits).toHaveLength(auditsBefore.length);
      expect(mails).toHaveLength(mailsBefore.length);
    }
  });

  it("solved sets solvedAt, reopening clears it, solving again sets a new one", async (t) => {
    const { h, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    const first = (await ticketRow(h, ticket.id))?.solvedAt;
    expect(first).toBeInstanceOf(Date);
    expect((await patchTicket(h, admin, ticket.id, { status: "open" })).body.solvedAt).toBeNull();
    expect((await ticketRow(h, ticket.id))?.solvedAt).toBeNull();
    const again = await patchTicket(h, admin, ticket.id, { status: "solved" });
    expect(again.status, again.text).toBe(200);
    const second = (await ticketRow(h, ticket.id))?.solvedAt;
    expect(second?.getTime()).toBeGreaterThanOrEqual(first?.getTime() ?? Infinity);
    const statusEvents = (await eventsOf(h, ticket.id)).filter((e) => e.kind === "status_changed");
    expect(statusEvents.map((e) => [e.data.from, e.data.to])).toEqual([
      ["open", "solved"],
      ["solved", "open"],
      ["open", "solved"],
    ]);
  });

  it("a closed ticket refuses every move, naming no allowed next state", async (t) => {
    const { h, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    await patchTicket(h, admin, ticket.id, { status: "closed" });
    for (const to of ["open", "pending", "on_hold", "solved"] as const) {
      const res = await patchTicket(h, admin, ticket.id, { status: to });
      expect(res.status, res.text).toBe(409);
      expect(res.body).toMatchObject({ currentStatus: "closed", allowedNextStatuses: [] });
    }
  });

  it("an empty PATCH is 400; an unknown ticket is 404", async (t) => {
    const { h, admin, ticket } = await setup(t);
    const empty = await patchTicket(h, admin, ticket.id, {});
    expect(empty.status, empty.text).toBe(400);
    const missing = await patchTicket(h, admin, crypto.randomUUID(), { status: "pending" });
    expect(missing.status, missing.text).toBe(404);
  });
});

describe("POST /v1/admin/tickets/{id}/replies with a status", () => {
  // Internal notes: a closed ticket still takes them, so every source state can be tried.
  it.for(MOVES.filter(({ from, to }) => from !== to))(
    "note with $from → $to",
    async ({ from, to }, t) => {
      const { h, admin, ticket } = await setup(t);
      await bringTo(h, admin, ticket.id, from);
      const messagesBefore = await messagesOf(h, ticket.id);
      const eventsBefore = await eventsOf(h, ticket.id);
      const res = await adminReplyRaw(h, admin, ticket.id, {
        body: `note moving ${from} to ${to}`,
        internal: true,
        status: to,
      });
      const row = await ticketRow(h, ticket.id);
      const messages = await messagesOf(h, ticket.id);
      if (ALLOWED.has(`${from}>${to}`)) {
        expect(res.status, res.text).toBe(201);
        expect(res.body.status).toBe(to);
        expect(row?.status).toBe(to);
        expect(messages).toHaveLength(messagesBefore.length + 1);
        expect(messages.at(-1)).toMatchObject({ internal: true, authorRole: "admin" });
        const added = (await eventsOf(h, ticket.id)).slice(eventsBefore.length);
        expect(added.map((e) => e.kind)).toEqual(["note_added", "status_changed"]);
      } else {
        expect(res.status, res.text).toBe(409);
        expect(res.body).toMatchObject({
          code: "CONFLICT",
          currentStatus: from,
          allowedNextStatuses: ADMIN_NEXT[from],
        });
        expect(row?.status).toBe(from);
        expect(messages).toHaveLength(messagesBefore.length);
        expect(await eventsOf(h, ticket.id)).toHaveLength(eventsBefore.length);
        expect(await auditsOf(h, ticket.id, "ticket.note_added")).toHaveLength(0);
      }
    },
  );

  it("a public reply moving outside the lifecycle is 409 and writes nothing", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    const res = await adminReplyRaw(h, admin, ticket.id, { body: "Done?", status: "closed" });
    expect(res.status, res.text).toBe(409);
    expect(res.body).toMatchObject({
      currentStatus: "open",
      allowedNextStatuses: ["pending", "on_hold", "solved"],
    });
    expect(await messagesOf(h, ticket.id)).toHaveLength(1);
    expect((await ticketRow(h, ticket.id))?.firstRespondedAt).toBeNull();
    expect(await auditsOf(h, ticket.id, "ticket.replied")).toHaveLength(0);
    expect(await outboxTo(h, student.email)).toHaveLength(0);
  });

  it("a public reply with status solved solves it, and queues only the reply email", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    const res = await adminReplyRaw(h, admin, ticket.id, {
      body: "Fixed, see week 6.",
      status: "solved",
    });
    expect(res.status, res.text).toBe(201);
    const row = await ticketRow(h, ticket.id);
    expect(row?.status).toBe("solved");
    expect(row?.solvedAt).toBeInstanceOf(Date);
    expect(row?.firstRespondedAt).toBeInstanceOf(Date);
    const [audit] = await auditsOf(h, ticket.id, "ticket.replied");
    expect(audit).toMatchObject({
      actorId: admin.id,
      before: { status: "open" },
      after: { status: "solved" },
    });
    expect((await outboxTo(h, student.email)).map((n) => n.template)).toEqual(["ticket_reply"]);
  });

  it("a public reply on a closed ticket is 409 TICKET_CLOSED; a note is still taken", async (t) => {
    const { h, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "closed");
    const reply = await adminReplyRaw(h, admin, ticket.id, { body: "One more thing" });
    expect(reply.status, reply.text).toBe(409);
    expect(reply.body.code).toBe("TICKET_CLOSED");
    expect(await messagesOf(h, ticket.id)).toHaveLength(1);
    await adminReply(h, admin, ticket.id, { body: "For the record", internal: true });
    expect(await messagesOf(h, ticket.id)).toHaveLength(2);
  });
});

describe("the student's moves", () => {
  it.for(["pending", "on_hold"] as const)("a reply on a ticket in %s opens it", async (from, t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, from);
    const eventsBefore = await eventsOf(h, ticket.id);
    const res = await studentReply(h, student, ticket.id, "Here is the screenshot.");
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe("open");
    expect(res.body.messages.at(-1)).toMatchObject({ author: "student" });
    expect((await ticketRow(h, ticket.id))?.status).toBe("open");
    const added = (await eventsOf(h, ticket.id)).slice(eventsBefore.length);
    expect(added.map((e) => [e.kind, e.actorId])).toEqual([
      ["replied", student.id],
      ["status_changed", student.id],
    ]);
    expect(added[1]?.data).toEqual({ from, to: "open", reason: "student_reply" });
    const [audit] = await auditsOf(h, ticket.id, "ticket.replied");
    expect(audit).toMatchObject({
      actorId: student.id,
      before: { status: from },
      after: { status: "open", messageId: added[0]?.data.messageId },
    });
  });

  it("a reply on an open ticket keeps it open (no status event)", async (t) => {
    const { h, student, ticket } = await setup(t);
    const res = await studentReply(h, student, ticket.id, "Any news?");
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe("open");
    expect((await eventsOf(h, ticket.id)).map((e) => e.kind)).toEqual(["created", "replied"]);
    const [audit] = await auditsOf(h, ticket.id, "ticket.replied");
    expect(audit?.before).toBeNull();
  });

  it("a reply within 7 days of solved reopens it and clears solvedAt", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    await solvedDaysAgo(h, ticket.id, 6.9);
    const res = await studentReply(h, student, ticket.id, "Still broken.");
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: "open", solvedAt: null, canReply: true });
    const row = await ticketRow(h, ticket.id);
    expect(row?.status).toBe("open");
    expect(row?.solvedAt).toBeNull();
    expect((await eventsOf(h, ticket.id)).at(-1)?.data).toMatchObject({
      from: "solved",
      to: "open",
      reason: "student_reply",
    });
  });

  it("a reply 7 days or more after solved is 409 TICKET_CLOSED with a suggestion", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    await solvedDaysAgo(h, ticket.id, 7.01);
    const view = await h.get<{ canReply: boolean }>(`/v1/tickets/${ticket.id}`, {
      headers: student.auth,
    });
    expect(view.body.canReply).toBe(false);
    const res = await studentReply(h, student, ticket.id, "Hello?");
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("TICKET_CLOSED");
    expect(res.body.suggestion).toMatch(/POST \/v1\/tickets/);
    expect((await ticketRow(h, ticket.id))?.status).toBe("solved");
    expect(await messagesOf(h, ticket.id)).toHaveLength(1);
  });

  it("a reply on a closed ticket is 409 TICKET_CLOSED", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "closed");
    const res = await studentReply(h, student, ticket.id, "Hello?");
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("TICKET_CLOSED");
    expect(res.body.suggestion).toBeTypeOf("string");
    expect(await messagesOf(h, ticket.id)).toHaveLength(1);
  });

  it.for(["open", "pending", "on_hold", "solved"] as const)(
    "closing from %s closes it; closing again is no change",
    async (from, t) => {
      const { h, student, admin, ticket } = await setup(t);
      await bringTo(h, admin, ticket.id, from);
      const eventsBefore = await eventsOf(h, ticket.id);
      const res = await studentClose(h, student, ticket.id);
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe("closed");
      expect(res.body.canReply).toBe(false);
      const row = await ticketRow(h, ticket.id);
      expect(row?.status).toBe("closed");
      expect(row?.closedAt).toBeInstanceOf(Date);
      const added = (await eventsOf(h, ticket.id)).slice(eventsBefore.length);
      expect(added.map((e) => [e.kind, e.actorId, e.data])).toEqual([
        ["status_changed", student.id, { from, to: "closed", reason: "student_closed" }],
      ]);
      const audits = await auditsOf(h, ticket.id, "ticket.closed");
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        actorId: student.id,
        before: { status: from },
        after: { status: "closed" },
      });

      const again = await studentClose(h, student, ticket.id);
      expect(again.status, again.text).toBe(200);
      expect(again.body.status).toBe("closed");
      expect(again.body.closedAt).toBe(row?.closedAt?.toISOString());
      expect(await eventsOf(h, ticket.id)).toHaveLength(eventsBefore.length + 1);
      expect(await auditsOf(h, ticket.id, "ticket.closed")).toHaveLength(1);
    },
  );
});

describe("rating", () => {
  it("before solved is 409; after, once; a second rating is 409", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    const early = await rate(h, student, ticket.id, { score: 5 });
    expect(early.status, early.text).toBe(409);
    expect(early.body).toMatchObject({ code: "CONFLICT", currentStatus: "open", rated: false });

    await bringTo(h, admin, ticket.id, "solved");
    const res = await rate(h, student, ticket.id, { score: 4, comment: "Quick, thanks" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.rating).toMatchObject({ score: 4, comment: "Quick, thanks" });
    expect(res.body.canRate).toBe(false);
    const row = await ticketRow(h, ticket.id);
    expect(row).toMatchObject({ rating: 4, ratingComment: "Quick, thanks", status: "solved" });
    expect((await eventsOf(h, ticket.id)).at(-1)).toMatchObject({
      kind: "rated",
      actorId: student.id,
      data: { score: 4 },
    });
    const audits = await auditsOf(h, ticket.id, "ticket.rated");
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorId: student.id, after: { score: 4 } });

    const second = await rate(h, student, ticket.id, { score: 1 });
    expect(second.status, second.text).toBe(409);
    expect(second.body).toMatchObject({ code: "CONFLICT", rated: true });
    expect((await ticketRow(h, ticket.id))?.rating).toBe(4);
    expect(await auditsOf(h, ticket.id, "ticket.rated")).toHaveLength(1);
  });

  it("a ticket closed after it was solved can be rated", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    expect((await studentClose(h, student, ticket.id)).status).toBe(200);
    const res = await rate(h, student, ticket.id, { score: 5 });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: "closed", rating: { score: 5, comment: null } });
  });

  it("a ticket closed without being solved cannot be rated", async (t) => {
    const { h, student, ticket } = await setup(t);
    expect((await studentClose(h, student, ticket.id)).status).toBe(200);
    const res = await rate(h, student, ticket.id, { score: 3 });
    expect(res.status, res.text).toBe(409);
    expect(res.body).toMatchObject({ currentStatus: "closed", rated: false });
  });

  // Was a 500: reopening cleared solved_at, which 0033's tickets_guard refused on a rated ticket.
  it("a rated solved ticket still reopens, by the student's reply or the admin", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    expect((await rate(h, student, ticket.id, { score: 2 })).status).toBe(200);
    const reply = await studentReply(h, student, ticket.id, "It broke again.");
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body).toMatchObject({ status: "open", canReply: true, canRate: false });
    expect(reply.body.rating?.score).toBe(2);
    // Reopened is not solved; the rating given stays (migration 0034).
    expect((await ticketRow(h, ticket.id))?.solvedAt).toBeNull();

    expect((await patchTicket(h, admin, ticket.id, { status: "solved" })).status).toBe(200);
    const reopen = await patchTicket(h, admin, ticket.id, { status: "open" });
    expect(reopen.status, reopen.text).toBe(200);
    expect((await ticketRow(h, ticket.id))?.status).toBe("open");
    expect(await auditsOf(h, ticket.id, "ticket.rated")).toHaveLength(1);
  });

  it.for([0, 6, 2.5])("score %s is 400", async (score, t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    const res = await rate(h, student, ticket.id, { score });
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect((await ticketRow(h, ticket.id))?.rating).toBeNull();
  });
});

describe("timeline and audit", () => {
  it("priority, notes and replies each leave their event and audit row", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    const res = await patchTicket(h, admin, ticket.id, { priority: "urgent" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.priority).toBe("urgent");
    const note = await adminReply(h, admin, ticket.id, { body: "Check the CDN", internal: true });
    const noteId = note.messages.at(-1)?.id;
    const reply = await adminReply(h, admin, ticket.id, { body: "Looking into it" });
    const replyId = reply.messages.at(-1)?.id;
    expect((await eventsOf(h, ticket.id)).map((e) => [e.kind, e.actorId, e.data])).toEqual([
      ["created", student.id, { category: "recording" }],
      ["priority_changed", admin.id, { from: "normal", to: "urgent" }],
      ["note_added", admin.id, { messageId: noteId, author: "support" }],
      ["replied", admin.id, { messageId: replyId, author: "support" }],
    ]);
    const audits = await auditsOf(h, ticket.id);
    expect(audits.map((a) => [a.action, a.actorId])).toEqual([
      ["ticket.created", student.id],
      ["ticket.updated", admin.id],
      ["ticket.note_added", admin.id],
      ["ticket.replied", admin.id],
    ]);
    expect(audits[1]).toMatchObject({
      before: { priority: "normal" },
      after: { priority: "urgent" },
    });
    expect(audits[2]?.after).toEqual({ messageId: noteId });
    expect(audits[3]?.after).toEqual({ messageId: replyId });
  });
});

describe("notifications", () => {
  it("an admin's public reply queues one ticket_reply email to the student", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await adminReply(h, admin, ticket.id, { body: "<p>The recording is <b>back</b>.</p>" });
    const rows = await outboxTo(h, student.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      channel: "email",
      template: "ticket_reply",
      toAddress: student.email,
      userId: student.id,
      transactional: true,
    });
    expect(rows[0]?.variables).toMatchObject({
      ticketNumber: ticket.number,
      subject: ticket.subject,
      excerpt: "The recording is back.",
    });
    expect(String(rows[0]?.variables.link)).toContain(`/support/tickets/${ticket.id}`);

    const mail = await lastEmailTo(h, student.email);
    expect(mail?.status).toBe("sent");
    expect(mail?.subject).toBe(`Re: [${ticket.number}] ${ticket.subject}`);
    expect(mail?.text).toContain("The recording is back.");
  });

  it("a PATCH status change queues one ticket_status; priority or assignee alone queue nothing", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await patchTicket(h, admin, ticket.id, { priority: "high", assigneeId: admin.id });
    expect(await outboxTo(h, student.email)).toHaveLength(0);
    const res = await patchTicket(h, admin, ticket.id, { status: "pending" });
    expect(res.status, res.text).toBe(200);
    const rows = await outboxTo(h, student.email);
    expect(rows.map((r) => [r.template, r.variables.status, r.variables.ticketNumber])).toEqual([
      ["ticket_status", "pending", ticket.number],
    ]);
    const mail = await lastEmailTo(h, student.email);
    expect(mail?.subject).toBe(`[${ticket.number}] Your ticket is waiting for your reply`);
  });

  it("an internal note queues nothing; a note with a status change queues ticket_status", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await adminReply(h, admin, ticket.id, { body: "Internal only", internal: true });
    expect(await outboxTo(h, student.email)).toHaveLength(0);
    await adminReply(h, admin, ticket.id, {
      body: "Parking it",
      internal: true,
      status: "on_hold",
    });
    const rows = await outboxTo(h, student.email);
    expect(rows.map((r) => [r.template, r.variables.status])).toEqual([
      ["ticket_status", "on_hold"],
    ]);
    expect(JSON.stringify(rows)).not.toContain("Parking it");
  });

  it("the student's own reply, reopen, close and rating queue nothing", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    await bringTo(h, admin, ticket.id, "solved");
    const queued = (await outboxTo(h, student.email)).length;
    expect(queued).toBe(1);
    expect((await rate(h, student, ticket.id, { score: 2 })).status).toBe(200);
    expect((await studentReply(h, student, ticket.id, "Not quite")).status).toBe(201);
    expect((await ticketRow(h, ticket.id))?.status).toBe("open");
    expect((await studentClose(h, student, ticket.id)).status).toBe(200);
    expect(await outboxTo(h, student.email)).toHaveLength(queued);
    const rows = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, student.id));
    expect(rows).toHaveLength(queued);
  });
});

describe("assignee", () => {
  it("an active admin or super admin: 200; a student or a disabled admin: 422; null unassigns", async (t) => {
    const { h, student, admin, ticket } = await setup(t);
    const superAdmin = await h.asAdmin("super_admin");
    const disabled = await h.createUser({ role: "admin", status: "disabled" });

    const assign = await patchTicket(h, admin, ticket.id, { assigneeId: admin.id });
    expect(assign.status, assign.text).toBe(200);
    expect(assign.body.assignee?.id).toBe(admin.id);
    expect((await ticketRow(h, ticket.id))?.assigneeId).toBe(admin.id);

    const toSuper = await patchTicket(h, admin, ticket.id, { assigneeId: superAdmin.id });
    expect(toSuper.status, toSuper.text).toBe(200);
    expect(toSuper.body.assignee?.id).toBe(superAdmin.id);

    for (const who of [student, disabled]) {
      const res = await patchTicket(h, admin, ticket.id, { assigneeId: who.id });
      expect(res.status, res.text).toBe(422);
      expect((res.body as unknown as Problem).errors?.[0]?.path).toBe("assigneeId");
    }
    const nobody = await patchTicket(h, admin, ticket.id, { assigneeId: crypto.randomUUID() });
    expect(nobody.status, nobody.text).toBe(422);
    expect((await ticketRow(h, ticket.id))?.assigneeId).toBe(superAdmin.id);

    const none = await patchTicket(h, admin, ticket.id, { assigneeId: null });
    expect(none.status, none.text).toBe(200);
    expect(none.body.assignee).toBeNull();
    expect((await ticketRow(h, ticket.id))?.assigneeId).toBeNull();

    const events = (await eventsOf(h, ticket.id)).filter((e) => e.kind === "assignee_changed");
    expect(events.map((e) => e.data)).toEqual([
      { from: null, to: admin.id },
      { from: admin.id, to: superAdmin.id },
      { from: superAdmin.id, to: null },
    ]);
    const audits = await auditsOf(h, ticket.id, "ticket.updated");
    expect(audits.map((a) => a.after)).toEqual([
      { assigneeId: admin.id },
      { assigneeId: superAdmin.id },
      { assigneeId: null },
    ]);
  });
});
