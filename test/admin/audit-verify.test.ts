/**
 * GET /v1/admin/audit-logs/verify against the anchors the maintenance job keeps in KV: an owner
 * who rewrites rows and recomputes every hash and checkpoint is still caught. Tests share this
 * file's database and run in order; the destructive one is last.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../../src/jobs/maintenance";
import { ANCHOR_LATEST_KEY, type AuditVerification } from "../../src/lib/audit-anchor";
import { Harness } from "../support/harness";

/** Settled audit rows (older than audit_seal's 5 minutes), written as the owner. */
async function settledRows(h: Harness, n: number, tag: string): Promise<number[]> {
  const rows = await h.db.execute<{ id: string }>(
    sql`insert into audit_logs (action, entity_type, entity_id, occurred_at)
        select 'test.anchor', 'test', ${tag} || '-' || g, now() - interval '1 hour'
          from generate_series(1, ${n}) g
        returning id`,
  );
  return rows.rows.map((r) => Number(r.id));
}

async function sealAndAnchor(h: Harness) {
  const report = await runMaintenance(h.env);
  expect(report.failures).toEqual([]);
  expect(report.auditCheckpoint).not.toBeNull();
  return report;
}

async function verify(h: Harness, auth: Record<string, string>, full = false) {
  const res = await h.get<AuditVerification>(
    `/v1/admin/audit-logs/verify${full ? "?full=true" : ""}`,
    { headers: auth },
  );
  expect(res.status, res.text).toBe(200);
  return res.body;
}

const latestCheckpoint = async (h: Harness) =>
  Number(
    (await h.db.execute<{ id: string }>(sql`select max(id) as id from audit_checkpoints`)).rows[0]
      ?.id,
  );

describe("audit verification against the KV anchors", () => {
  it("passes on an untouched log; the second run is incremental; full=true rechecks everything", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    await settledRows(h, 3, "a");
    await sealAndAnchor(h);
    await settledRows(h, 2, "b");
    await sealAndAnchor(h);
    const head = await latestCheckpoint(h);

    const first = await verify(h, admin.auth);
    expect(first).toMatchObject({
      ok: true,
      problem: null,
      mode: "full",
      fromCheckpoint: 0,
      anchoredCheckpoint: head,
      unanchoredCheckpoints: 0,
    });
    expect(first.checkpoints).toBe(head);

    // A new, unsealed row: the next run starts at the verified head and checks only the tail.
    await h.db.execute(
      sql`insert into audit_logs (action, entity_type) values ('test.tail', 'test')`,
    );
    const second = await verify(h, admin.auth);
    expect(second).toMatchObject({
      ok: true,
      mode: "incremental",
      fromCheckpoint: head,
      checkpoints: 0,
    });
    expect(second.checkedRows).toBeLessThan(first.checkedRows);

    const full = await verify(h, admin.auth, true);
    expect(full).toMatchObject({ ok: true, mode: "full", fromCheckpoint: 0, checkpoints: head });
  });

  it("an anchor not made with the Worker's key is reported, not trusted", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    await settledRows(h, 1, "c");
    await sealAndAnchor(h);
    const genuine = (await h.env.CACHE.get(ANCHOR_LATEST_KEY)) ?? "{}";
    // KV is shared by this file's tests: put the genuine anchor back afterwards.
    t.onTestFinished(() => h.env.CACHE.put(ANCHOR_LATEST_KEY, genuine));
    const forged = { ...JSON.parse(genuine), chainHash: "f".repeat(64) };
    await h.env.CACHE.put(ANCHOR_LATEST_KEY, JSON.stringify(forged));
    const verdict = await verify(h, admin.auth);
    expect(verdict).toMatchObject({ ok: false, problem: "anchor invalid" });
    expect(verdict.detail).toMatch(/fails its MAC/);
    // Nor does the job build on it.
    await settledRows(h, 1, "c2");
    const report = await runMaintenance(h.env);
    expect(report.failures).toEqual([
      { step: "auditAnchor", error: expect.stringMatching(/fails its MAC/) },
    ]);
  });

  it("catches an owner who rewrites a sealed row and recomputes its hash and every checkpoint", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const victims = await settledRows(h, 4, "d");
    await sealAndAnchor(h);
    const victimCheckpoint = await latestCheckpoint(h);
    await settledRows(h, 2, "e");
    await sealAndAnchor(h);
    expect((await verify(h, admin.auth)).ok).toBe(true);
    const victim = victims[1] ?? 0;

    // The owner (here the superuser) rewrites history consistently: the row, its hash, and
    // every checkpoint's prev/chain hash from the first one on.
    await h.db.execute(sql`alter table audit_logs disable trigger audit_logs_append_only`);
    await h.db.execute(
      sql`alter table audit_checkpoints disable trigger audit_checkpoints_append_only`,
    );
    try {
      await h.db.execute(
        sql`update audit_logs set after = '{"forged": true}' where id = ${victim}`,
      );
      await h.db.execute(
        sql`update audit_logs l set row_hash = audit_row_hash(l) where id = ${victim}`,
      );
      await h.db.execute(sql`do $$
        declare cp record; prev text := 'genesis'; chain text;
        begin
          for cp in select * from audit_checkpoints order by id loop
            select encode(sha256(convert_to(prev || string_agg(row_hash, '' order by id), 'UTF8')), 'hex')
              into chain from audit_logs where id between cp.from_id and cp.to_id;
            update audit_checkpoints set prev_hash = prev, chain_hash = chain where id = cp.id;
            prev := chain;
          end loop;
        end $$`);
    } finally {
      await h.db.execute(sql`alter table audit_logs enable trigger audit_logs_append_only`);
      await h.db.execute(
        sql`alter table audit_checkpoints enable trigger audit_checkpoints_append_only`,
      );
    }

    // The database alone is fooled: its own chain is consistent again.
    const [inDb] = (await h.db.execute<{ ok: boolean }>(sql`select ok from audit_verify()`)).rows;
    expect(inDb?.ok).toBe(true);

    // Incremental: the checkpoint verified last no longer has the chain hash it had.
    const incremental = await verify(h, admin.auth);
    expect(incremental).toMatchObject({
      ok: false,
      problem: "verified checkpoint altered",
      mode: "incremental",
    });
    expect(incremental.detail).toMatch(/recomputed/);

    // Full: the recomputed chain no longer reaches the anchored head; the first checkpoint
    // that differs from its own anchor is the one holding the rewritten row.
    const full = await verify(h, admin.auth, true);
    expect(full).toMatchObject({ ok: false, problem: "anchor mismatch", mode: "full" });
    const [range] = (
      await h.db.execute<{ from_id: string; to_id: string }>(
        sql`select from_id, to_id from audit_checkpoints where id = ${victimCheckpoint}`,
      )
    ).rows;
    expect(full.firstBadId).toBe(Number(range?.from_id));
    expect(victim).toBeGreaterThanOrEqual(Number(range?.from_id));
    expect(victim).toBeLessThanOrEqual(Number(range?.to_id));
    expect(full.detail).toMatch(/rewritten/);
    expect(full.detail).toContain(`is checkpoint ${victimCheckpoint} (rows`);

    // And the job refuses to anchor anything on top of the rewritten history.
    await settledRows(h, 1, "f");
    const report = await runMaintenance(h.env);
    expect(report.failures).toEqual([
      { step: "auditAnchor", error: expect.stringMatching(/no longer continues anchored/) },
    ]);
  });
});
