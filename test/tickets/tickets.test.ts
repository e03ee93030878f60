/**
 * Support tickets through the mounted app: opening (with Idempotency-Key), the thread with
 * replies and internal notes, who sees what, and the student's list.
 */
import { describe, expect, it } from "vitest";
import { Harness } from "../support/harness";
import { adminReply, openTicket, type StudentTicket } from "./support";

describe("opening a ticket", () => {
  it("answers with the ticket and its number; the same key replays it", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const key = crypto.randomUUID();
    const first = await openTicket(h, student, {}, key);
    expect(first.number).toMatch(/^TKT-\d{4}-\d{6}$/);
    expect(first.status).toBe("open");
    expect(first.messages).toHaveLength(1);
    const again = await h.post<unknown, StudentTicket>(
      "/v1/tickets",
      {
        subject: "Recording missing",
        body: "<p>The recording of Sunday's class is missing.</p>",
        category: "recording",
      },
      { headers: { ...student.auth, "Idempotency-Key": key } },
    );
    expect(again.status, again.text).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.id).toBe(first.id);
  });

  it("notes stay with admins; another student gets 404", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await adminReply(h, admin, ticket.id, { body: "Secret: refund was flagged", internal: true });
    await adminReply(h, admin, ticket.id, { body: "We are looking into it." });
    const mine = await h.get<StudentTicket>(`/v1/tickets/${ticket.id}`, { headers: student.auth });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.text).not.toContain("Secret");
    expect(mine.body.messages.map((m) => m.author)).toEqual(["student", "support"]);
    const other = await h.asStudent();
    const theirs = await h.get(`/v1/tickets/${ticket.id}`, { headers: other.auth });
    expect(theirs.status).toBe(404);
  });

  it("a subject of only control or bidi characters is 400 (no email could quote it)", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    for (const subject of ["\u202E", "\u0007\u202A "]) {
      const res = await h.post<unknown, { code: string; errors: { path: string }[] }>(
        "/v1/tickets",
        { subject, body: "Help", category: "other" },
        { headers: { ...student.auth, "Idempotency-Key": crypto.randomUUID() } },
      );
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors.map((e) => e.path)).toContain("subject");
    }
  });
});
