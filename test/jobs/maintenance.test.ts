import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, type TestContext } from "vitest";
import { createApp } from "../../src/app";
import {
  auditCheckpoints,
  auditLogs,
  emailOutbox,
  enrolments,
  errorLogs,
  idempotencyKeys,
  oneTimeTokens,
  sessions,
} from "../../src/db/schema";
import { createWorker } from "../../src/index";
import { MaintenanceError, runMaintenance } from "../../src/jobs/maintenance";
import { ANCHOR_LATEST_KEY, anchorKey, readAnchor } from "../../src/lib/audit-anchor";
import { insertBatch, insertCourse } from "../support/catalogue";
import { waitForEnvelope } from "../support/fake-sentry";
import { Harness } from "../support/harness";
import { insertEnrolment } from "../support/learning";

describe("scheduled maintenance", () => {
  it("deletes old error logs and expired sessions/tokens, keeps live ones, seals the audit log", async (t) => {
    const h = await Harness.init(t, { env: { ERROR_LOG_RETENTION_DAYS: "30" } });
    const old = await h.db
      .insert(errorLogs)
      .values({
        severity: "error",
        code: "OLD",
        status: 500,
        message: "old",
        occurredAt: new Date(Date.now() - 40 * 86_400_000),
      })
      .returning({ id: errorLogs.id });
    const recent = await h.db
      .insert(errorLogs)
      .values({ severity: "error", code: "NEW", status: 500, message: "new" })
      .returning({ id: errorLogs.id });
    const live = await h.asStudent();
    const expired = await h.asStudent();
    await h.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 2 * 86_400_000) })
      .where(eq(sessions.id, expired.sessionId));
    await h.db.insert(oneTimeTokens).values({
      userId: live.id,
      purpose: "password_reset",
      tokenHash: crypto.randomUUID(),
      expiresAt: new Date(Date.now() - 8 * 86_400_000),
    });
    await h.db.execute(
      sql`insert into audit_logs (action, entity_type, occurred_at) values ('test.old', 'test', now() - interval '1 hour')`,
    );

    await h.db.execute(
      sql`insert into rate_limit_counters (policy, key, bucket_start, allowed, denied)
          values ('auth', 'ip:old', now() - interval '31 days', 1, 1), ('auth', 'ip:new', now(), 1, 1)`,
    );
    const report = await runMaintenance(h.env);
    expect(report.errorLogsDeleted).toBeGreaterThanOrEqual(1);
    expect(report.sessionsDeleted).toBeGreaterThanOrEqual(1);
    expect(report.oneTimeTokensDeleted).toBe(1);
    expect(report.rateLimitCountersDeleted).toBe(1);
    expect(report.auditCheckpoint).not.toBeNull();

    expect(
      await h.db
        .select()
        .from(errorLogs)
        .where(eq(errorLogs.id, old[0]?.id ?? 0)),
    ).toHaveLength(0);
    expect(
      await h.db
        .select()
        .from(errorLogs)
        .where(eq(errorLogs.id, recent[0]?.id ?? 0)),
    ).toHaveLength(1);
    expect(await h.db.select().from(sessions).where(eq(sessions.id, live.sessionId))).toHaveLength(
      1,
    );
    expect(
      await h.db.select().from(sessions).where(eq(sessions.id, expired.sessionId)),
    ).toHaveLength(0);
    expect((await h.get("/v1/me", { headers: live.auth })).status).toBe(200);
    expect(await h.db.select().from(auditCheckpoints)).toHaveLength(1);

    expect(report.failures).toEqual([]);

    // The new checkpoint is anchored outside the database, MACed with the Worker's key.
    const [cp] = await h.db.select().from(auditCheckpoints);
    expect(report.auditAnchored).toBe(1);
    const latest = await readAnchor(h.env.CACHE, h.env.AUDIT_ANCHOR_SECRET);
    expect(latest).toMatchObject({
      status: "ok",
      value: { checkpointId: cp?.id, toId: cp?.toId, chainHash: cp?.chainHash },
    });
    expect(await h.env.CACHE.get(anchorKey(cp?.id ?? 0))).toBe(
      await h.env.CACHE.get(ANCHOR_LATEST_KEY),
    );
    expect((await readAnchor(h.env.CACHE, "some-other-key-0123456789abcdef0123")).status).toBe(
      "invalid",
    );

    // Nothing new to seal: a second run adds no checkpoint.
    const again = await runMaintenance(h.env);
    expect(again.auditCheckpoint).toBeNull();
    expect(again.auditAnchored).toBe(0);
  });
});

const oldErrorLogs = async (h: Harness, code: string, n: number) => {
  await h.db.execute(
    sql`insert into error_logs (severity, code, status, message, occurred_at)
        select 'error', ${code}, 500, 'old', now() - interval '400 days' from generate_series(1, ${n})`,
  );
};
const remaining = async (h: Harness, code: string) =>
  (await h.db.select().from(errorLogs).where(eq(errorLogs.code, code))).length;

describe("retention in batches", () => {
  it("deletes at most batch × batches rows per step and run; the backlog drains over runs", async (t) => {
    const h = await Harness.init(t);
    const code = `BATCH_${crypto.randomUUID().slice(0, 8)}`;
    await oldErrorLogs(h, code, 25);
    const first = await runMaintenance(h.env, { batchSize: 10, maxBatches: 2 });
    expect(first.errorLogsDeleted).toBe(20);
    expect(first.backlog).toContain("errorLogsDeleted");
    expect(await remaining(h, code)).toBe(5);
    const second = await runMaintenance(h.env, { batchSize: 10, maxBatches: 2 });
    expect(second.errorLogsDeleted).toBe(5);
    expect(second.backlog).toEqual([]);
    expect(await remaining(h, code)).toBe(0);
  });

  it("keeps legacy email_outbox rows (no longer written) 30 days", async (t) => {
    const h = await Harness.init(t);
    const to = `${crypto.randomUUID()}@example.in`;
    const row = (createdAt: Date) => ({
      toAddress: to,
      subject: "s",
      template: "password_reset",
      status: "sent" as const,
      provider: "resend",
      createdAt,
    });
    await h.db
      .insert(emailOutbox)
      .values([
        row(new Date(Date.now() - 31 * 86_400_000)),
        row(new Date(Date.now() - 29 * 86_400_000)),
      ]);
    const report = await runMaintenance(h.env);
    expect(report.emailOutboxDeleted).toBeGreaterThanOrEqual(1);
    const left = await h.db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, to));
    expect(left).toHaveLength(1);
    expect(left[0]?.createdAt.getTime()).toBeGreaterThan(Date.now() - 30 * 86_400_000);
  });

  it("purges idempotency records past their 24 hours, in flight or completed; keeps the rest", async (t) => {
    const h = await Harness.init(t);
    const scope = `ip:purge-${crypto.randomUUID().slice(0, 8)}`;
    const hours = (n: number) => new Date(Date.now() + n * 3_600_000);
    const row = (key: string, createdAt: Date, state: "in_flight" | "completed") => ({
      scope,
      key,
      fingerprint: "fp",
      token: crypto.randomUUID(),
      state,
      lockedUntil: state === "in_flight" ? new Date(createdAt.getTime() + 60_000) : null,
      responseStatus: state === "completed" ? 201 : null,
      responseBody: state === "completed" ? "{}" : null,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 24 * 3_600_000),
    });
    await h.db
      .insert(idempotencyKeys)
      .values([
        row("old-completed", hours(-25), "completed"),
        row("old-in-flight", hours(-25), "in_flight"),
        row("recent", hours(-23), "completed"),
        row("new", hours(0), "in_flight"),
      ]);
    const report = await runMaintenance(h.env);
    expect(report.idempotencyKeysDeleted).toBeGreaterThanOrEqual(2);
    const left = await h.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.scope, scope));
    expect(left.map((r) => r.key).sort()).toEqual(["new", "recent"]);
  });

  it("keeps webhook_events (dedup rows) 30 days", async (t) => {
    const h = await Harness.init(t);
    const key = crypto.randomUUID();
    await h.db.execute(
      sql`insert into webhook_events (provider, event_key, event, received_at)
          values ('zoom', ${`${key}-old`}, 'meeting.started', now() - interval '31 days'),
                 ('zoom', ${`${key}-new`}, 'meeting.started', now() - interval '29 days')`,
    );
    const report = await runMaintenance(h.env);
    expect(report.webhookEventsDeleted).toBeGreaterThanOrEqual(1);
    const left = await h.db.execute<{ event_key: string }>(
      sql`select event_key from webhook_events where event_key like ${`${key}%`}`,
    );
    expect(left.rows.map((r) => r.event_key)).toEqual([`${key}-new`]);
  });
});

/** Makes one step fail for real: the Worker's role loses DELETE on rate_limit_counters. */
async function breakRateLimitRetention(h: Harness, t: TestContext) {
  await h.db.execute(sql`revoke delete on rate_limit_counters from app_runtime`);
  t.onTestFinished(async () => {
    await h.db.execute(sql`grant delete on rate_limit_counters to app_runtime`);
  });
}

describe("a failing step", () => {
  it("is reported, and every other step still runs", async (t) => {
    const h = await Harness.init(t);
    await breakRateLimitRetention(h, t);
    const code = `STEP_${crypto.randomUUID().slice(0, 8)}`;
    await oldErrorLogs(h, code, 3);
    await h.db.execute(
      sql`insert into audit_logs (action, entity_type, occurred_at) values ('test.step', 'test', now() - interval '1 hour')`,
    );
    const report = await runMaintenance(h.env);
    expect(report.failures).toEqual([
      { step: "rateLimitCountersDeleted", error: expect.stringMatching(/permission denied/) },
    ]);
    // Steps before and after it did their work.
    expect(report.errorLogsDeleted).toBeGreaterThanOrEqual(3);
    expect(await remaining(h, code)).toBe(0);
    expect(report.auditCheckpoint).not.toBeNull();
    expect(report.auditAnchored).toBe(1);
  });

  it("makes the scheduled handler fail after the whole run, and reaches Sentry", async (t) => {
    const h = await Harness.init(t);
    await breakRateLimitRetention(h, t);
    const code = `CRON_${crypto.randomUUID().slice(0, 8)}`;
    await oldErrorLogs(h, code, 2);
    const worker = createWorker(createApp());
    const ctx = createExecutionContext();
    const run = worker.scheduled?.(createScheduledController({ cron: "*/15 * * * *" }), h.env, ctx);
    await expect(run).rejects.toBeInstanceOf(MaintenanceError);
    await expect(run).rejects.toThrow(/rateLimitCountersDeleted/);
    await waitOnExecutionContext(ctx);
    // The handler awaited the whole run: the other steps' work is done when it settles.
    expect(await remaining(h, code)).toBe(0);
    // One Sentry event for the run, naming the failed step (no other test fails this step).
    const [envelope] = await waitForEnvelope(
      "maintenance: 1 step(s) failed: rateLimitCountersDeleted (error: permission denied",
    );
    expect(envelope?.body).toContain('"type":"MaintenanceError"');
  });

  it("a clean run resolves the scheduled handler", async (t) => {
    const h = await Harness.init(t);
    const ctx = createExecutionContext();
    const worker = createWorker(createApp());
    await expect(
      worker.scheduled?.(createScheduledController({ cron: "*/15 * * * *" }), h.env, ctx),
    ).resolves.toBeUndefined();
    await waitOnExecutionContext(ctx);
  });
});

describe("expiring lapsed enrolment holds", () => {
  it("sets lapsed holds to expired (hold cleared, audited), keeps live ones, refreshes course pages", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database, { pricePaise: 100 });
    const batch = await insertBatch(h.database, course.id, { capacity: 10 });
    const [lapsed, live, active, late] = [
      await h.asStudent(),
      await h.asStudent(),
      await h.asStudent(),
      await h.asStudent(),
    ];
    const gone = await insertEnrolment(h.database, lapsed.id, batch.id, {
      status: "pending_payment",
      pricePaise: 100,
      holdExpiresAt: new Date(Date.now() - 60_000),
    });
    const held = await insertEnrolment(h.database, live.id, batch.id, {
      status: "pending_payment",
      pricePaise: 100,
    });
    await insertEnrolment(h.database, active.id, batch.id, { status: "active", pricePaise: 100 });
    const seatsLeft = async () => {
      const res = await h.get<{ batches: { id: string; seatsLeft: number }[] }>(
        `/v1/courses/${course.slug}`,
      );
      return res.body.batches.find((b) => b.id === batch.id)?.seatsLeft;
    };
    // The page is cached; a seat taken behind its back (no invalidation) is not on it yet.
    expect(await seatsLeft()).toBe(8);
    await insertEnrolment(h.database, late.id, batch.id, { status: "active", pricePaise: 100 });
    expect(await seatsLeft()).toBe(8);

    const report = await runMaintenance(h.env);
    expect(report.failures).toEqual([]);
    expect(report.enrolmentHoldsExpired).toBe(1);
    const rows = await h.db.select().from(enrolments).where(eq(enrolments.batchId, batch.id));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(gone.id)).toMatchObject({ status: "expired", holdExpiresAt: null });
    expect(byId.get(held.id)?.status).toBe("pending_payment");
    const [audit] = await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.entityType, "enrolment"), eq(auditLogs.entityId, gone.id)));
    expect(audit).toMatchObject({ action: "enrolment.expire", actorRole: "system" });
    // The course page was invalidated: it now shows the seat taken behind its back.
    expect(await seatsLeft()).toBe(7);
  });

  it("works in bounded batches; a backlog drains over runs", async (t) => {
    const h = await Harness.init(t);
    const course = await insertCourse(h.database, { pricePaise: 100 });
    const batch = await insertBatch(h.database, course.id);
    for (let i = 0; i < 5; i++) {
      const u = await h.asStudent();
      await insertEnrolment(h.database, u.id, batch.id, {
        status: "pending_payment",
        pricePaise: 100,
        holdExpiresAt: new Date(Date.now() - (i + 1) * 60_000),
      });
    }
    const first = await runMaintenance(h.env, { batchSize: 2, maxBatches: 2 });
    expect(first.enrolmentHoldsExpired).toBe(4);
    expect(first.backlog).toContain("enrolmentHoldsExpired");
    const second = await runMaintenance(h.env, { batchSize: 2, maxBatches: 2 });
    expect(second.enrolmentHoldsExpired).toBe(1);
    expect(second.backlog).not.toContain("enrolmentHoldsExpired");
  });
});
