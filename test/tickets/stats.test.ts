/**
 * GET /v1/admin/tickets/stats through the app: the open workload by priority and category,
 * the at-risk and breached tickets, and median minutes to first response and to solved over
 * a range. Tests share this file's database: counts are compared before and after, medians
 * are taken over a range only this file's backdated tickets fall in.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tickets } from "../../src/db/schema";
import type { TicketStats } from "../../src/domains/tickets/schemas";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { backdate, jobs, ticketRow } from "./sla-support";
import { openTicket, patchTicket } from "./support";

const MINUTE = 60_000;
const DAY = 86_400_000;

async function stats(h: Harness, admin: TestUser, query = "") {
  const res = await h.get<TicketStats>(`/v1/admin/tickets/stats${query}`, {
    headers: admin.auth,
  });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function patchOk(h: Harness, admin: TestUser, id: string, body: Record<string, string>) {
  const res = await patchTicket(h, admin, id, body);
  expect(res.status, res.text).toBe(200);
}

describe("ticket stats", () => {
  it("counts unsolved tickets by priority and category", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const before = await stats(h, admin);

    await openTicket(h, student, { category: "payment" });
    const high = await openTicket(h, student, { category: "payment" });
    await patchOk(h, admin, high.id, { priority: "high" });
    const solved = await openTicket(h, student, { category: "certificate" });
    await patchOk(h, admin, solved.id, { status: "solved" });
    const waiting = await openTicket(h, student, { category: "class" });
    await patchOk(h, admin, waiting.id, { status: "pending" });
    const held = await openTicket(h, student, { category: "account" });
    await patchOk(h, admin, held.id, { status: "on_hold", priority: "low" });

    const after = await stats(h, admin);
    expect(after.open.total - before.open.total).toBe(4);
    const delta = (k: keyof TicketStats["open"]["byPriority"]) =>
      after.open.byPriority[k] - before.open.byPriority[k];
    expect([delta("urgent"), delta("high"), delta("normal"), delta("low")]).toEqual([0, 1, 2, 1]);
    const cat = (k: keyof TicketStats["open"]["byCategory"]) =>
      after.open.byCategory[k] - before.open.byCategory[k];
    expect({
      payment: cat("payment"),
      class: cat("class"),
      account: cat("account"),
      certificate: cat("certificate"),
      recording: cat("recording"),
      other: cat("other"),
    }).toEqual({ payment: 2, class: 1, account: 1, certificate: 0, recording: 0, other: 0 });
    // The parts add up to the whole.
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(after.open.byPriority)).toBe(after.open.total);
    expect(sum(after.open.byCategory)).toBe(after.open.total);
  });

  it("lists breached and at-risk tickets, soonest deadline first; not a fresh one", async (t) => {
    const h = await Harness.init(t);
    const run = jobs(h);
    t.onTestFinished(() => run.close());
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const before = await stats(h, admin);

    // Urgent and a month old: both clocks past due.
    const late = await openTicket(h, student, { subject: "Late one" });
    await backdate(h, late.id, new Date(Date.now() - 30 * DAY));
    await patchOk(h, admin, late.id, { priority: "urgent" });
    // Urgent and new, marked at risk by the job (at its at-risk instant).
    const risky = await openTicket(h, student, { subject: "Risky one" });
    await patchOk(h, admin, risky.id, { priority: "urgent", assigneeId: admin.id });
    const riskyRow = await ticketRow(h, risky.id);
    if (!riskyRow.firstResponseAtRiskAt || !riskyRow.firstResponseDueAt) {
      throw new Error("deadlines expected");
    }
    await run.markSlaBreaches(riskyRow.firstResponseAtRiskAt);
    expect((await ticketRow(h, risky.id)).firstResponseSla).toBe("at_risk");
    const fresh = await openTicket(h, student, { subject: "Fresh one" });

    const after = await stats(h, admin);
    expect(after.sla.breached - before.sla.breached).toBe(1);
    expect(after.sla.atRisk - before.sla.atRisk).toBe(1);
    const lateRow = await ticketRow(h, late.id);
    const mine = after.sla.tickets.filter((r) => [late.id, risky.id, fresh.id].includes(r.id));
    expect(mine).toEqual([
      {
        id: late.id,
        number: late.number,
        subject: "Late one",
        priority: "urgent",
        state: "breached",
        target: "first_response",
        dueAt: lateRow.firstResponseDueAt?.toISOString(),
      },
      {
        id: late.id,
        number: late.number,
        subject: "Late one",
        priority: "urgent",
        state: "breached",
        target: "resolution",
        dueAt: lateRow.resolutionDueAt?.toISOString(),
      },
      {
        id: risky.id,
        number: risky.number,
        subject: "Risky one",
        priority: "urgent",
        state: "at_risk",
        target: "first_response",
        dueAt: riskyRow.firstResponseDueAt.toISOString(),
      },
    ]);
    const dues = after.sla.tickets.map((r) => (r.dueAt ? Date.parse(r.dueAt) : Infinity));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));

    // Answered: its first-response entry goes; solved: it leaves the list.
    const reply = await h.post(
      `/v1/admin/tickets/${risky.id}/replies`,
      { body: "Looking now", status: "solved" },
      { headers: admin.auth },
    );
    expect(reply.status, reply.text).toBe(201);
    const later = await stats(h, admin);
    expect(later.sla.tickets.map((r) => r.id)).not.toContain(risky.id);
    expect(later.sla.atRisk).toBe(after.sla.atRisk - 1);
  });

  it("median minutes to first response and to solved over [from, to)", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const created = new Date("2026-06-01T05:00:00Z");
    const at = (base: Date, minutes: number) => new Date(base.getTime() + minutes * MINUTE);

    // In the range: first replies after 10, 20 and 60 minutes; solved after 100, 200, 400.
    const timings: [number, number][] = [
      [10, 100],
      [60, 400],
      [20, 200],
    ];
    for (const [first, solved] of timings) {
      const ticket = await openTicket(h, student);
      await backdate(h, ticket.id, created);
      await h.db
        .update(tickets)
        .set({
          firstRespondedAt: at(created, first),
          solvedAt: at(created, solved),
          status: "solved",
        })
        .where(eq(tickets.id, ticket.id));
    }
    // In the range, never answered: counted as created, not in the medians.
    const silent = await openTicket(h, student);
    await backdate(h, silent.id, at(created, 30));
    // Created the day before (outside the range), answered after 1000 minutes, solved inside
    // the range after 1500: in the resolution median only.
    const before = new Date("2026-05-31T05:00:00Z");
    const straddling = await openTicket(h, student);
    await backdate(h, straddling.id, before);
    await h.db
      .update(tickets)
      .set({ firstRespondedAt: at(before, 1000), solvedAt: at(before, 1500), status: "solved" })
      .where(eq(tickets.id, straddling.id));

    const range = "?from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    const body = await stats(h, admin, range);
    expect(body.range).toEqual({
      from: "2026-06-01T00:00:00.000Z",
      to: "2026-06-02T00:00:00.000Z",
      created: 4,
      medianFirstResponseMinutes: 20,
      // 100, 200, 400 and 1500: the middle two averaged.
      medianResolutionMinutes: 300,
    });

    // `to` is exclusive; a range with nothing in it has no medians.
    const empty = await stats(h, admin, "?from=2026-05-01T00:00:00Z&to=2026-05-31T05:00:00Z");
    expect(empty.range).toMatchObject({
      created: 0,
      medianFirstResponseMinutes: null,
      medianResolutionMinutes: null,
    });
    const edge = await stats(h, admin, "?from=2026-05-01T00:00:00Z&to=2026-05-31T05:00:00.001Z");
    expect(edge.range.created).toBe(1);

    // Minutes to one decimal.
    const odd = await openTicket(h, student);
    const oddAt = new Date("2026-07-01T05:00:00Z");
    await backdate(h, odd.id, oddAt);
    await h.db
      .update(tickets)
      .set({ firstRespondedAt: new Date(oddAt.getTime() + 90_000 + 15_000) })
      .where(eq(tickets.id, odd.id));
    const decimal = await stats(h, admin, "?from=2026-07-01T00:00:00Z&to=2026-07-02T00:00:00Z");
    expect(decimal.range.medianFirstResponseMinutes).toBe(1.8);
  });

  it("defaults to the last 30 days; refuses to <= from; admins only", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const started = Date.now();
    const body = await stats(h, admin);
    const to = Date.parse(body.range.to);
    expect(to).toBeGreaterThanOrEqual(started - 1000);
    expect(to).toBeLessThanOrEqual(Date.now() + 1000);
    expect(to - Date.parse(body.range.from)).toBe(30 * DAY);

    for (const q of [
      "?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z",
      "?from=2026-06-01T00:00:00Z&to=2026-06-01T00:00:00Z",
      `?from=${new Date(Date.now() + DAY).toISOString()}`,
    ]) {
      const res = await h.get<{ code: string; errors: { path: string }[] }>(
        `/v1/admin/tickets/stats${q}`,
        { headers: admin.auth },
      );
      expect(res.status, `${q}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    const bad = await h.get(`/v1/admin/tickets/stats?from=yesterday`, { headers: admin.auth });
    expect(bad.status).toBe(400);

    expect((await h.get(`/v1/admin/tickets/stats`, { headers: student.auth })).status).toBe(403);
    expect((await h.get(`/v1/admin/tickets/stats`)).status).toBe(401);
  });
});
