/**
 * Support-ticket SLAs through the mounted app and the minutely jobs: deadlines in business
 * hours (IST, Monday–Saturday 09:00–18:00, less SUPPORT_HOLIDAYS) recomputed on every change
 * that moves a clock, the pause while pending, the admin page's clocks, the SLA marks and
 * their notifications, and the auto-close of tickets solved a week ago.
 *
 * Tests share this file's database and the jobs sweep all of it: every assertion is scoped
 * to the tickets the test opened.
 */
import { and, eq, inArray, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notifications, tickets, users } from "../../src/db/schema";
import type { AdminTicketSummary } from "../../src/domains/tickets/schemas";
import type { TestBindings } from "../support/env";
import { Harness } from "../support/harness";
import {
  auditOf,
  backdate,
  eventsOf,
  ist,
  jobs,
  moveStatusEvent,
  slaNotices,
  ticketRow,
} from "./sla-support";
import { type AdminTicket, adminReply, openTicket, patchTicket } from "./support";

const DAY = 86_400_000;
const holidays = (csv: string) => ({ env: { SUPPORT_HOLIDAYS: csv } as Partial<TestBindings> });

async function patchOk(
  h: Harness,
  admin: Awaited<ReturnType<Harness["asAdmin"]>>,
  id: string,
  body: Parameters<typeof patchTicket>[3],
) {
  const res = await patchTicket(h, admin, id, body);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe("SLA deadlines in business hours", () => {
  it("urgent, opened Saturday 17:30 IST: first response due Monday 09:30 IST", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    // Saturday 2026-12-05 17:30 IST.
    await backdate(h, ticket.id, ist("2026-12-05T17:30"));
    const body = await patchOk(h, admin, ticket.id, { priority: "urgent" });
    expect(body.priority).toBe("urgent");
    // 30 minutes on Saturday, none on Sunday, 30 on Monday.
    expect(body.firstResponseDueAt).toBe("2026-12-07T04:00:00.000Z");
    // 480: 30 on Saturday, 450 on Monday → Monday 16:30 IST.
    expect(body.resolutionDueAt).toBe("2026-12-07T11:00:00.000Z");
    const row = await ticketRow(h, ticket.id);
    expect(row.firstResponseDueAt?.toISOString()).toBe("2026-12-07T04:00:00.000Z");
    // At risk with 30 of the 60 minutes left: Saturday's 30 are used by closing time.
    expect(row.firstResponseAtRiskAt?.getTime()).toBeLessThanOrEqual(
      ist("2026-12-07T09:00").getTime(),
    );
    expect(row.firstResponseAtRiskAt?.getTime()).toBeGreaterThanOrEqual(
      ist("2026-12-05T18:00").getTime(),
    );
  });

  it("with that Monday a holiday, the first response is due Tuesday 09:30 IST", async (t) => {
    const h = await Harness.init(t, holidays("2026-12-07"));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await backdate(h, ticket.id, ist("2026-12-05T17:30"));
    const body = await patchOk(h, admin, ticket.id, { priority: "urgent" });
    expect(body.firstResponseDueAt).toBe("2026-12-08T04:00:00.000Z");
    expect(body.resolutionDueAt).toBe("2026-12-08T11:00:00.000Z");
  });

  it("urgent, opened 17:30 on a weekday: due 09:30 the next day", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    // Wednesday 2026-12-09 17:30 IST → Thursday 09:30 IST.
    await backdate(h, ticket.id, ist("2026-12-09T17:30"));
    const body = await patchOk(h, admin, ticket.id, { priority: "urgent" });
    expect(body.firstResponseDueAt).toBe(ist("2026-12-10T09:30").toISOString());
    // A holiday elsewhere changes nothing.
    const h2 = await Harness.init(t, holidays("2026-12-25"));
    const other = await openTicket(h2, student);
    await backdate(h2, other.id, ist("2026-12-09T17:30"));
    const body2 = await patchOk(h2, admin, other.id, { priority: "urgent" });
    expect(body2.firstResponseDueAt).toBe(ist("2026-12-10T09:30").toISOString());
  });

  it("normal: first response in 8 business hours, resolution in 5 business days", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    // Monday 2026-12-14 10:00 IST; a PATCH that moves a clock recomputes (low, then back).
    await backdate(h, ticket.id, ist("2026-12-14T10:00"));
    const low = await patchOk(h, admin, ticket.id, { priority: "low" });
    // Low: 2 days to answer (Wednesday 10:00), 10 days to resolve (Friday 25th 10:00: six
    // working days a week, Sunday off, Christmas not a holiday here).
    expect(low.firstResponseDueAt).toBe(ist("2026-12-16T10:00").toISOString());
    expect(low.resolutionDueAt).toBe(ist("2026-12-25T10:00").toISOString());
    const body = await patchOk(h, admin, ticket.id, { priority: "normal" });
    expect(body.firstResponseDueAt).toBe(ist("2026-12-14T18:00").toISOString());
    // Tue, Wed, Thu, Fri, Sat: Saturday 10:00 IST.
    expect(body.resolutionDueAt).toBe(ist("2026-12-19T10:00").toISOString());
  });

  it("pending stops both clocks: the deadlines move by the paused business time", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await backdate(h, ticket.id, ist("2026-12-14T10:00"));
    await patchOk(h, admin, ticket.id, { status: "pending" });
    // Pending Monday 12:00 → Tuesday 12:00 IST: 6 + 3 business hours = one business day.
    await moveStatusEvent(h, ticket.id, "pending", ist("2026-12-14T12:00"));
    // Recomputed while pending (a priority change): no deadline is known.
    const paused = await patchOk(h, admin, ticket.id, { priority: "high" });
    expect(paused.firstResponseDueAt).toBeNull();
    expect(paused.resolutionDueAt).toBeNull();
    expect(paused.sla.resolution.dueAt).toBeNull();
    expect(paused.sla.firstResponse.dueAt).toBeNull();
    await patchOk(h, admin, ticket.id, { status: "open" });
    await moveStatusEvent(h, ticket.id, "open", ist("2026-12-15T12:00"));
    // Recompute from the timeline as it now reads.
    const body = await patchOk(h, admin, ticket.id, { priority: "normal" });
    // Without the pause: Saturday 19th 10:00 (test above); one business day later, past Sunday.
    expect(body.resolutionDueAt).toBe(ist("2026-12-21T10:00").toISOString());
    // First response: 120 used before the pause, 360 from Tuesday 12:00.
    expect(body.firstResponseDueAt).toBe(ist("2026-12-15T18:00").toISOString());
    const row = await ticketRow(h, ticket.id);
    expect(row.resolutionDueAt?.toISOString()).toBe(ist("2026-12-21T10:00").toISOString());
    // At risk with 25% (675 min) of the 2700 left: 2025 on the clock, i.e. 120 on Monday,
    // 360 on Tuesday, 540 each Wednesday and Thursday, then 465 on Friday → 16:45.
    expect(row.resolutionAtRiskAt?.toISOString()).toBe(ist("2026-12-18T16:45").toISOString());
  });

  it("the admin page shows each clock's target, elapsed business minutes and state", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();

    // Urgent, opened Monday 09:00 IST, pending since 09:40: 40 minutes on both clocks, frozen.
    const waiting = await openTicket(h, student);
    await patchOk(h, admin, waiting.id, { priority: "urgent" });
    await patchOk(h, admin, waiting.id, { status: "pending" });
    await backdate(h, waiting.id, ist("2026-11-30T09:00"));
    await moveStatusEvent(h, waiting.id, "pending", ist("2026-11-30T09:40"));
    const res = await h.get<AdminTicket>(`/v1/admin/tickets/${waiting.id}`, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.sla).toEqual({
      firstResponse: { target: 60, elapsed: 40, state: "at_risk", dueAt: null },
      resolution: { target: 480, elapsed: 40, state: "ok", dueAt: null },
    });

    // Answered 90 minutes in: the first-response clock stopped past its target.
    const late = await openTicket(h, student);
    await patchOk(h, admin, late.id, { priority: "urgent" });
    await adminReply(h, admin, late.id, { body: "On it." });
    await backdate(h, late.id, ist("2026-11-30T09:00"));
    await h.db
      .update(tickets)
      .set({ firstRespondedAt: ist("2026-11-30T10:30") })
      .where(eq(tickets.id, late.id));
    const view = await h.get<AdminTicket>(`/v1/admin/tickets/${late.id}`, {
      headers: admin.auth,
    });
    expect(view.status, view.text).toBe(200);
    expect(view.body.sla.firstResponse).toMatchObject({
      target: 60,
      elapsed: 90,
      state: "breached",
    });
    // Still open since Monday: the resolution clock is past its 480 minutes.
    expect(view.body.sla.resolution.target).toBe(480);
    expect(view.body.sla.resolution.elapsed).toBeGreaterThanOrEqual(480);
    expect(view.body.sla.resolution.state).toBe("breached");
  });
});

describe("the SLA job (markSlaBreaches)", () => {
  it("marks at risk, then breached, once each, telling the assignee only", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const assignee = await h.asAdmin();
    const bystander = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await patchOk(h, assignee, ticket.id, { priority: "urgent", assigneeId: assignee.id });
    const before = await ticketRow(h, ticket.id);
    const risk = before.firstResponseAtRiskAt;
    const due = before.firstResponseDueAt;
    if (!risk || !due) throw new Error("an open urgent ticket has deadlines");
    expect(risk.getTime()).toBeLessThan(due.getTime());

    // A moment before the at-risk instant: nothing.
    await run.markSlaBreaches(new Date(risk.getTime() - 1000));
    expect((await ticketRow(h, ticket.id)).firstResponseSla).toBe("ok");
    expect(await eventsOf(h, ticket.id, "sla_at_risk")).toHaveLength(0);
    expect(await slaNotices(h, ticket.id)).toHaveLength(0);

    // At the at-risk instant, twice: one mark, one event, one audit row, one email.
    await run.markSlaBreaches(risk);
    await run.markSlaBreaches(new Date(risk.getTime() + 1000));
    const atRisk = await ticketRow(h, ticket.id);
    expect(atRisk.firstResponseSla).toBe("at_risk");
    expect(atRisk.resolutionSla).toBe("ok");
    const riskEvents = await eventsOf(h, ticket.id, "sla_at_risk");
    expect(riskEvents).toHaveLength(1);
    expect(riskEvents[0]?.data).toEqual({ target: "first_response", dueAt: due.toISOString() });
    expect(await auditOf(h, ticket.id, "ticket.sla_at_risk")).toHaveLength(1);
    let notices = await slaNotices(h, ticket.id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      userId: assignee.id,
      toAddress: assignee.email,
      channel: "email",
      transactional: true,
    });
    expect(notices[0]?.variables).toMatchObject({
      ticketNumber: ticket.number,
      state: "at_risk",
      target: "first_response",
      priority: "urgent",
      dueAt: due.toISOString(),
    });
    expect(notices.some((n) => n.userId === bystander.id)).toBe(false);

    // At the due instant, twice: breached once, the assignee told again.
    await run.markSlaBreaches(due);
    await run.markSlaBreaches(new Date(due.getTime() + 60_000));
    const breached = await ticketRow(h, ticket.id);
    expect(breached.firstResponseSla).toBe("breached");
    const breachEvents = await eventsOf(h, ticket.id, "sla_breached");
    expect(breachEvents).toHaveLength(1);
    expect(breachEvents[0]?.data).toMatchObject({ target: "first_response" });
    expect(await auditOf(h, ticket.id, "ticket.sla_breached")).toHaveLength(1);
    notices = await slaNotices(h, ticket.id);
    expect(notices.map((n) => [n.userId, (n.variables as { state: string }).state])).toEqual([
      [assignee.id, "at_risk"],
      [assignee.id, "breached"],
    ]);
  });

  it("a lower priority takes an at-risk mark back to ok; a breach stays", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await patchOk(h, admin, ticket.id, { priority: "urgent", assigneeId: admin.id });
    const row = await ticketRow(h, ticket.id);
    if (!row.firstResponseAtRiskAt) throw new Error("deadline expected");
    await run.markSlaBreaches(row.firstResponseAtRiskAt);
    expect((await ticketRow(h, ticket.id)).firstResponseSla).toBe("at_risk");
    const body = await patchOk(h, admin, ticket.id, { priority: "low" });
    expect(body.firstResponseSla).toBe("ok");
    const low = await ticketRow(h, ticket.id);
    expect(low.firstResponseAtRiskAt?.getTime()).toBeGreaterThan(Date.now());
    // At the new at-risk instant the job marks (and tells) again, for the new deadline.
    if (!low.firstResponseAtRiskAt || !low.firstResponseDueAt) throw new Error("deadline expected");
    await run.markSlaBreaches(low.firstResponseAtRiskAt);
    const notices = await slaNotices(h, ticket.id);
    expect(notices.map((n) => (n.variables as { dueAt: string }).dueAt)).toEqual([
      row.firstResponseDueAt?.toISOString(),
      low.firstResponseDueAt.toISOString(),
    ]);

    // A recorded breach is not taken back by a lower priority.
    const old = await openTicket(h, student);
    await backdate(h, old.id, new Date(Date.now() - 30 * DAY));
    await patchOk(h, admin, old.id, { priority: "urgent" });
    await run.markSlaBreaches();
    expect((await ticketRow(h, old.id)).firstResponseSla).toBe("breached");
    const lowered = await patchOk(h, admin, old.id, { priority: "low" });
    expect(lowered.firstResponseSla).toBe("breached");
  });

  it("an unassigned ticket's mark goes to every active admin, not to a disabled one", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const superAdmin = await h.asAdmin("super_admin");
    const gone = await h.createUser({ role: "admin", status: "disabled" });
    const ticket = await openTicket(h, student);
    await patchOk(h, admin, ticket.id, { priority: "urgent" });
    const row = await ticketRow(h, ticket.id);
    if (!row.firstResponseAtRiskAt) throw new Error("deadline expected");
    await run.markSlaBreaches(row.firstResponseAtRiskAt);

    const active = await h.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.status, "active"), inArray(users.role, ["admin", "super_admin"])));
    const notices = await slaNotices(h, ticket.id);
    const to = notices.map((n) => n.userId).sort();
    expect(to).toEqual(active.map((u) => u.id).sort());
    expect(to).toContain(admin.id);
    expect(to).toContain(superAdmin.id);
    expect(to).not.toContain(gone.id);
    expect(new Set(to).size).toBe(to.length);
    for (const n of notices) expect(n.variables).not.toHaveProperty("assignee");
  });

  it("a ticket answered before its due time is never marked on first response", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await patchOk(h, admin, ticket.id, { priority: "urgent" });
    const before = await ticketRow(h, ticket.id);
    const due = before.firstResponseDueAt;
    if (!due) throw new Error("deadline expected");
    // An internal note does not count as an answer.
    await adminReply(h, admin, ticket.id, { body: "Checking the logs", internal: true });
    expect((await ticketRow(h, ticket.id)).firstRespondedAt).toBeNull();
    await adminReply(h, admin, ticket.id, { body: "We are on it." });
    const answered = await ticketRow(h, ticket.id);
    expect(answered.firstRespondedAt).not.toBeNull();
    expect(answered.firstResponseDueAt).toBeNull();
    expect(answered.firstResponseAtRiskAt).toBeNull();

    // Long after: the resolution clock may be marked, the first response never.
    await run.markSlaBreaches(new Date(due.getTime() + 30 * DAY));
    const after = await ticketRow(h, ticket.id);
    expect(after.firstResponseSla).toBe("ok");
    expect(after.resolutionSla).toBe("breached");
    const marks = [
      ...(await eventsOf(h, ticket.id, "sla_at_risk")),
      ...(await eventsOf(h, ticket.id, "sla_breached")),
    ];
    expect(marks.map((e) => e.data.target)).not.toContain("first_response");
    expect(marks.map((e) => e.data.target)).toContain("resolution");
    const notices = await slaNotices(h, ticket.id);
    expect(notices.every((n) => (n.variables as { target: string }).target === "resolution")).toBe(
      true,
    );
  });

  it("a first reply after the due time records the breach at once (late: true), only once", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await backdate(h, ticket.id, new Date(Date.now() - 30 * DAY));
    await patchOk(h, admin, ticket.id, { priority: "urgent" });
    const due = (await ticketRow(h, ticket.id)).firstResponseDueAt;
    if (!due) throw new Error("deadline expected");
    expect(due.getTime()).toBeLessThan(Date.now());

    const body = await adminReply(h, admin, ticket.id, { body: "Sorry for the wait." });
    expect(body.firstResponseSla).toBe("breached");
    const events = await eventsOf(h, ticket.id, "sla_breached");
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toEqual({
      target: "first_response",
      dueAt: due.toISOString(),
      late: true,
    });
    // The job does not record it again.
    await run.markSlaBreaches();
    const again = (await eventsOf(h, ticket.id, "sla_breached")).filter(
      (e) => e.data.target === "first_response",
    );
    expect(again).toHaveLength(1);
  });

  it("admin list ?breached=true returns a breached ticket and not a fresh one", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const old = await openTicket(h, student, { subject: "Old unanswered" });
    await backdate(h, old.id, new Date(Date.now() - 30 * DAY));
    await patchOk(h, admin, old.id, { priority: "urgent" });
    const fresh = await openTicket(h, student, { subject: "Just opened" });

    type Page = { data: AdminTicketSummary[] };
    const list = async (breached: string) => {
      const res = await h.get<Page>(`/v1/admin/tickets?breached=${breached}&limit=100`, {
        headers: admin.auth,
      });
      expect(res.status, res.text).toBe(200);
      return res.body.data.map((r) => r.id);
    };
    const yes = await list("true");
    expect(yes).toContain(old.id);
    expect(yes).not.toContain(fresh.id);
    const no = await list("false");
    expect(no).toContain(fresh.id);
    expect(no).not.toContain(old.id);

    // A paused or solved ticket has no running deadline (null): still "not breached".
    const paused = await openTicket(h, student, { subject: "Waiting on the student" });
    await patchOk(h, admin, paused.id, { status: "pending" });
    const solved = await openTicket(h, student, { subject: "Done" });
    await patchOk(h, admin, solved.id, { status: "solved" });
    const again = await list("false");
    expect(again).toContain(paused.id);
    expect(again).toContain(solved.id);
  });
});

describe("pauses and late stops", () => {
  it("a deadline missed just before the ticket was paused is still recorded as breached", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await backdate(h, ticket.id, new Date(Date.now() - 30 * DAY));
    await patchOk(h, admin, ticket.id, { priority: "urgent" });
    // Paused after both deadlines passed, before the job ran: the used-up clocks keep their
    // past due times, so the job still records both breaches.
    await patchOk(h, admin, ticket.id, { status: "pending" });
    await run.markSlaBreaches();
    const row = await ticketRow(h, ticket.id);
    expect(row.status).toBe("pending");
    expect(row.firstResponseSla).toBe("breached");
    expect(row.resolutionSla).toBe("breached");
    expect(await eventsOf(h, ticket.id, "sla_breached")).toHaveLength(2);
  });

  it("an at-risk mark survives a pause and resume: one alert, not one per pause", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const ticket = await openTicket(h, student);
    await patchOk(h, admin, ticket.id, { priority: "urgent", assigneeId: admin.id });
    const risk = (await ticketRow(h, ticket.id)).firstResponseAtRiskAt;
    if (!risk) throw new Error("an open urgent ticket has an at-risk instant");
    await run.markSlaBreaches(risk);
    expect((await ticketRow(h, ticket.id)).firstResponseSla).toBe("at_risk");

    await patchOk(h, admin, ticket.id, { status: "pending" });
    expect((await ticketRow(h, ticket.id)).firstResponseSla).toBe("at_risk");
    const reply = await h.post(
      `/v1/tickets/${ticket.id}/replies`,
      { body: "Here is the screenshot" },
      { headers: student.auth },
    );
    expect(reply.status, reply.text).toBe(201);
    const resumed = await ticketRow(h, ticket.id);
    expect(resumed.status).toBe("open");
    if (!resumed.firstResponseAtRiskAt) throw new Error("running again: an at-risk instant");
    await run.markSlaBreaches(new Date(resumed.firstResponseAtRiskAt.getTime() + 1000));
    expect(await eventsOf(h, ticket.id, "sla_at_risk")).toHaveLength(1);
    expect(
      (await slaNotices(h, ticket.id)).filter((n) => n.variables.state === "at_risk"),
    ).toHaveLength(1);
  });
});

describe("one ticket that cannot be handled never holds back the others", () => {
  it("a ticket whose notice cannot be rendered is skipped; the rest are marked and closed", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const [bad, good] = [
      await openTicket(h, student, { subject: "Bad subject" }),
      await openTicket(h, student, { subject: "Good subject" }),
    ];
    // Written before input refused such subjects: nothing a template can quote.
    await h.db.update(tickets).set({ subject: "\u202E" }).where(eq(tickets.id, bad.id));
    for (const id of [bad.id, good.id]) {
      await backdate(h, id, new Date(Date.now() - 30 * DAY));
      await patchOk(h, admin, id, { priority: "urgent" });
    }
    await run.markSlaBreaches();
    expect((await ticketRow(h, good.id)).firstResponseSla).toBe("breached");
    expect((await ticketRow(h, bad.id)).firstResponseSla).toBe("ok");

    // Solved 8 days ago (by SQL: the status email itself could not quote the bad subject).
    await h.db
      .update(tickets)
      .set({ status: "solved", solvedAt: new Date(Date.now() - 8 * DAY) })
      .where(inArray(tickets.id, [bad.id, good.id]));
    await run.autoCloseSolved();
    expect((await ticketRow(h, good.id)).status).toBe("closed");
    expect((await ticketRow(h, bad.id)).status).toBe("solved");
  });
});

describe("auto-close (autoCloseSolved)", () => {
  it("closes a ticket solved 7 days ago and tells the student; one solved 6 days ago stays", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const stale = await openTicket(h, student, { subject: "Solved long ago" });
    const recent = await openTicket(h, student, { subject: "Solved recently" });
    for (const id of [stale.id, recent.id]) await patchOk(h, admin, id, { status: "solved" });
    await h.db
      .update(tickets)
      .set({ solvedAt: new Date(Date.now() - 7 * DAY - 60_000) })
      .where(eq(tickets.id, stale.id));
    await h.db
      .update(tickets)
      .set({ solvedAt: new Date(Date.now() - 6 * DAY) })
      .where(eq(tickets.id, recent.id));

    const closed = await run.autoCloseSolved();
    expect(closed).toBeGreaterThanOrEqual(1);
    const row = await ticketRow(h, stale.id);
    expect(row.status).toBe("closed");
    expect(row.closedAt).not.toBeNull();
    const events = (await eventsOf(h, stale.id, "status_changed")).filter(
      (e) => e.data.to === "closed",
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toEqual({ from: "solved", to: "closed", reason: "auto" });
    expect(events[0]?.actorId).toBeNull();
    expect(await auditOf(h, stale.id, "ticket.auto_closed")).toHaveLength(1);
    const told = await h.db
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.template, "ticket_status"),
          like(notifications.dedupeKey, `ticket_status:${stale.id}:%`),
          sql`${notifications.variables}->>'status' = 'closed'`,
        ),
      );
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ userId: student.id, toAddress: student.email });
    expect(told[0]?.dedupeKey).toBe(`ticket_status:${stale.id}:${events[0]?.id}`);

    expect((await ticketRow(h, recent.id)).status).toBe("solved");
    // A second run changes nothing for either.
    await run.autoCloseSolved();
    expect(await eventsOf(h, stale.id, "status_changed")).toHaveLength(2);
    expect((await ticketRow(h, recent.id)).status).toBe("solved");
    // The student can no longer reply to the closed one.
    const reply = await h.post(
      `/v1/tickets/${stale.id}/replies`,
      { body: "Still broken" },
      { headers: { ...student.auth, "Idempotency-Key": crypto.randomUUID() } },
    );
    expect(reply.status, reply.text).toBe(409);
  });
});

describe("the SLA job under load", () => {
  it("a ticket that needs a mark is not starved by 200 already marked at risk", async (t) => {
    const h = await Harness.init(t, holidays(""));
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    // 200 tickets already marked at risk, their due time far off: nothing to do for them.
    const riskAt = new Date(Date.now() - 60 * DAY);
    const farDue = new Date("2099-01-01T00:00:00Z");
    await h.db.insert(tickets).values(
      Array.from({ length: 200 }, (_, i) => ({
        number: `TKT-2001-${String(i + 1).padStart(6, "0")}`,
        year: 2001,
        seq: i + 1,
        studentId: student.id,
        subject: `Waiting ${i}`,
        category: "other" as const,
        firstResponseAtRiskAt: riskAt,
        firstResponseDueAt: farDue,
        firstResponseSla: "at_risk" as const,
        resolutionAtRiskAt: riskAt,
        resolutionDueAt: farDue,
        resolutionSla: "at_risk" as const,
      })),
    );
    const ticket = await openTicket(h, student);
    await patchOk(h, admin, ticket.id, { priority: "urgent", assigneeId: admin.id });
    const row = await ticketRow(h, ticket.id);
    if (!row.firstResponseAtRiskAt) throw new Error("deadline expected");

    await run.markSlaBreaches(row.firstResponseAtRiskAt);
    expect((await ticketRow(h, ticket.id)).firstResponseSla).toBe("at_risk");
    expect((await slaNotices(h, ticket.id)).map((n) => n.userId)).toEqual([admin.id]);
  });
});
