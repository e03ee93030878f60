import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditCheckpoints, errorLogs, oneTimeTokens, sessions } from "../../src/db/schema";
import { runMaintenance } from "../../src/jobs/maintenance";
import { Harness } from "../support/harness";

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

    // Nothing new to seal: a second run adds no checkpoint.
    expect((await runMaintenance(h.env)).auditCheckpoint).toBeNull();
  });
});
