import { describe, expect, it } from "vitest";
import { adminQuery } from "../support/database";
import { fileDatabase } from "../support/setup";

const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
  adminQuery<T>(sql, params, fileDatabase());

async function newUser(role = "student") {
  const email = `${crypto.randomUUID()}@example.in`;
  const [row] = await q<{ id: string }>(
    "INSERT INTO users (email, password_hash, full_name, role) VALUES ($1, 'x', 'Test', $2) RETURNING id",
    [email, role],
  );
  if (!row) throw new Error("insert failed");
  return row.id;
}

describe("database security setup", () => {
  it("validate_security_setup() finds nothing to fix on a fresh database", async () => {
    expect(await q("SELECT * FROM validate_security_setup()")).toEqual([]);
  });

  it("every public table has RLS enabled and forced (rls_policies_audit)", async () => {
    const rows = await q<{ table_name: string; rls_enabled: boolean; rls_forced: boolean }>(
      "SELECT DISTINCT table_name, rls_enabled, rls_forced FROM rls_policies_audit",
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const r of rows)
      expect(r, r.table_name).toMatchObject({ rls_enabled: true, rls_forced: true });
  });

  it("the runtime role owns nothing and cannot bypass RLS", async () => {
    const [role] = await q<{ rolbypassrls: boolean; rolsuper: boolean; owned: string }>(
      `SELECT r.rolbypassrls, r.rolsuper,
              (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)::text AS owned
         FROM pg_roles r WHERE r.rolname = 'app_runtime'`,
    );
    expect(role).toEqual({ rolbypassrls: false, rolsuper: false, owned: "0" });
  });
});

describe("row-level security at the SQL level", () => {
  it("a student reads and edits only their own user row", async () => {
    const me = await newUser();
    const other = await newUser();
    const can = async (sql: string, params: unknown[]) =>
      ((await q<{ r: boolean }>(sql, params))[0] as { r: boolean }).r;
    expect(await can("SELECT test_can_read($1, 'users', $2) r", [me, me])).toBe(true);
    expect(await can("SELECT test_can_read($1, 'users', $2) r", [me, other])).toBe(false);
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"full_name":"Z"}') r`, [me, me]),
    ).toBe(true);
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"full_name":"Z"}') r`, [me, other]),
    ).toBe(false);
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"role":"admin"}') r`, [me, me]),
    ).toBe(false);
    expect(await can("SELECT test_can_delete($1, 'users', $2) r", [me, me])).toBe(false);
    // The probes rolled back: nothing changed.
    const [row] = await q<{ full_name: string; role: string }>(
      "SELECT full_name, role FROM users WHERE id = $1",
      [me],
    );
    expect(row).toEqual({ full_name: "Test", role: "student" });
  });

  it("an admin reads others and may disable them, but only a super admin changes roles", async () => {
    const admin = await newUser("admin");
    const student = await newUser();
    const can = async (sql: string, params: unknown[]) =>
      ((await q<{ r: boolean }>(sql, params))[0] as { r: boolean }).r;
    expect(await can("SELECT test_can_read($1, 'users', $2) r", [admin, student])).toBe(true);
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"status":"disabled"}') r`, [
        admin,
        student,
      ]),
    ).toBe(true);
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"role":"admin"}') r`, [admin, student]),
    ).toBe(false);
    const superAdmin = await newUser("super_admin");
    expect(
      await can(`SELECT test_can_update($1, 'users', $2, '{"role":"admin"}') r`, [
        superAdmin,
        student,
      ]),
    ).toBe(true);
  });

  it("students cannot read audit or error logs; anyone may append audit rows", async () => {
    const me = await newUser();
    const perms = await q<{ table_name: string; visible_rows: string | null; can_update: boolean }>(
      "SELECT * FROM get_user_permissions($1)",
      [me],
    );
    const audit = perms.find((p) => p.table_name === "audit_logs");
    expect(audit).toMatchObject({ can_update: false });
    const [ins] = await q<{ r: boolean }>(
      `SELECT test_can_insert($1, 'audit_logs', '{"action":"x.y","entity_type":"x"}') r`,
      [me],
    );
    expect(ins?.r).toBe(true);
  });
});

describe("audit log integrity", () => {
  it("rejects UPDATE, DELETE and TRUNCATE even for the owner/superuser", async () => {
    const [row] = await q<{ id: string }>(
      "INSERT INTO audit_logs (action, entity_type) VALUES ('test.append', 'test') RETURNING id",
    );
    await expect(q("UPDATE audit_logs SET action = 'x' WHERE id = $1", [row?.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(q("DELETE FROM audit_logs WHERE id = $1", [row?.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(q("TRUNCATE audit_logs")).rejects.toThrow(/append-only/);
  });

  it("verify reports the first altered row, and deletions inside a sealed range", async () => {
    const ids = await q<{ id: string }>(
      `INSERT INTO audit_logs (action, entity_type, occurred_at)
       SELECT 'test.seal', 'test', now() - interval '1 hour' FROM generate_series(1, 5) RETURNING id`,
    );
    await q("SELECT * FROM audit_seal()");
    expect((await q<{ ok: boolean }>("SELECT * FROM audit_verify()"))[0]?.ok).toBe(true);

    const victim = ids[2]?.id;
    await q("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only");
    try {
      await q("UPDATE audit_logs SET after = '{\"forged\":true}' WHERE id = $1", [victim]);
      const [altered] = await q<{ ok: boolean; problem: string; first_bad_id: string }>(
        "SELECT * FROM audit_verify()",
      );
      expect(altered).toMatchObject({ ok: false, problem: "altered", first_bad_id: victim });

      await q("DELETE FROM audit_logs WHERE id = $1", [victim]);
      const [deleted] = await q<{ ok: boolean; problem: string }>("SELECT * FROM audit_verify()");
      expect(deleted).toMatchObject({ ok: false, problem: "deleted" });
    } finally {
      await q("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only");
    }
  });
});

describe("audit rows from the Worker's role", () => {
  it("get the database's time, whatever occurred_at the insert names", async () => {
    await q(`DO $$ BEGIN
      SET LOCAL ROLE app_runtime;
      PERFORM set_config('app.role', 'system', true);
      INSERT INTO audit_logs (action, entity_type, occurred_at)
        VALUES ('test.backdate', 'test', now() - interval '30 days');
    END $$`);
    const [stored] = await q<{ age_seconds: number }>(
      "SELECT extract(epoch FROM now() - occurred_at)::int AS age_seconds FROM audit_logs WHERE action = 'test.backdate'",
    );
    expect(stored?.age_seconds).toBeLessThan(3600);
  });
});

describe("helpers that act as other users", () => {
  it.for([
    ["_as_user(NULL)"],
    ["test_can_read(NULL, 'users', 'x')"],
    ["get_user_permissions(NULL)"],
  ] as const)("%s is not executable by the Worker's role", async ([call]) => {
    await expect(
      q(`DO $$ BEGIN SET LOCAL ROLE app_runtime; PERFORM ${call}; END $$`),
    ).rejects.toThrow(/permission denied/);
  });
});
