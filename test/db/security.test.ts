import { describe, expect, it } from "vitest";
import { can, newUser, admin as q } from "./support";

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
      PERFORM _app_enter_trusted(NULL, 'system');
      SET LOCAL ROLE app_runtime;
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

describe("audit ids are the database's", () => {
  const asRuntime = (statement: string) =>
    q(`DO $$ BEGIN
      PERFORM _app_enter_trusted(NULL, 'system');
      SET LOCAL ROLE app_runtime;
      ${statement};
    END $$`);

  it.for([
    ["OVERRIDING SYSTEM VALUE", "OVERRIDING SYSTEM VALUE VALUES (1, 'forged.row', 'test')"],
    ["an explicit id", "VALUES (9000000000000000000, 'forged.row', 'test')"],
    ["a NULL id", "VALUES (NULL, 'forged.row', 'test')"],
  ] as const)("the runtime role cannot choose one (%s)", async ([, values]) => {
    await expect(
      asRuntime(`INSERT INTO audit_logs (id, action, entity_type) ${values}`),
    ).rejects.toThrow(/assigned by the database/);
    expect(await q("SELECT id FROM audit_logs WHERE action = 'forged.row'")).toEqual([]);
  });

  it("the trigger assigns increasing ids from a sequence the runtime role cannot set", async () => {
    await asRuntime("INSERT INTO audit_logs (action, entity_type) VALUES ('test.id_a', 'test')");
    await asRuntime("INSERT INTO audit_logs (action, entity_type) VALUES ('test.id_b', 'test')");
    const rows = await q<{ id: string; action: string }>(
      "SELECT id::text, action FROM audit_logs WHERE action IN ('test.id_a', 'test.id_b') ORDER BY audit_logs.id",
    );
    expect(rows.map((r) => r.action)).toEqual(["test.id_a", "test.id_b"]);
    expect(Number(rows[0]?.id)).toBeGreaterThan(0);
    await expect(asRuntime("PERFORM setval('audit_logs_id_seq', 1)")).rejects.toThrow(
      /permission denied/,
    );
  });
});

describe("privileges the database enforces (not only the services)", () => {
  const update = (actor: string, target: string, patch: Record<string, unknown>) =>
    can("SELECT test_can_update($1, 'users', $2, $3) r", [actor, target, JSON.stringify(patch)]);

  it("an admin cannot change a super admin's email, password hash or token version", async () => {
    const admin = await newUser("admin");
    const superAdmin = await newUser("super_admin");
    for (const patch of [
      { email: "taken-over@example.in" },
      { password_hash: "$argon2id$attacker" },
      { token_version: 99 },
      { email_verified_at: "2020-01-01T00:00:00Z" },
    ]) {
      expect(await update(admin, superAdmin, patch), JSON.stringify(patch)).toBe(false);
    }
    // Not even their name: an admin's updates reach students and themselves only.
    expect(await update(admin, superAdmin, { full_name: "Renamed" })).toBe(false);
    expect(await update(admin, await newUser("admin"), { full_name: "Renamed" })).toBe(false);
    expect(await update(admin, admin, { full_name: "Renamed" })).toBe(true);
    const [row] = await q<{ email: string; password_hash: string; token_version: number }>(
      "SELECT email, password_hash, token_version FROM users WHERE id = $1",
      [superAdmin],
    );
    expect(row).toMatchObject({ password_hash: "x", token_version: 0 });
  });

  it("credentials change only in the system context, for anyone", async () => {
    const student = await newUser();
    const admin = await newUser("admin");
    const superAdmin = await newUser("super_admin");
    expect(await update(admin, student, { password_hash: "$argon2id$x" })).toBe(false);
    expect(await update(admin, student, { email: "moved@example.in" })).toBe(false);
    expect(await update(superAdmin, student, { token_version: 5 })).toBe(false);
    expect(await update(student, student, { email: "self@example.in" })).toBe(false);
    expect(await update(student, student, { full_name: "Fine" })).toBe(true);
    // The account flows (password change and reset, logout-all) run as system and still can.
    await q(`DO $$ BEGIN
      PERFORM _app_enter_trusted(NULL, 'system');
      SET LOCAL ROLE app_runtime;
      UPDATE users SET token_version = token_version + 1 WHERE id = '${student}';
    END $$`);
    const [row] = await q<{ token_version: number }>(
      "SELECT token_version FROM users WHERE id = $1",
      [student],
    );
    expect(row?.token_version).toBe(1);
  });

  it("a student can create an admin request only as a fresh, pending one of their own", async () => {
    const student = await newUser();
    const other = await newUser();
    const superAdmin = await newUser("super_admin");
    const insert = (actor: string, row: Record<string, unknown>) =>
      can("SELECT test_can_insert($1, 'admin_requests', $2) r", [
        actor,
        JSON.stringify({ phone: "+919876543210", reason: "I teach", ...row }),
      ]);
    expect(await insert(student, { user_id: student })).toBe(true);
    expect(await insert(student, { user_id: student, status: "pending_verification" })).toBe(true);
    for (const status of ["verified", "approved", "rejected"]) {
      expect(await insert(student, { user_id: student, status }), status).toBe(false);
    }
    expect(await insert(student, { user_id: student, verified_at: "2026-01-01T00:00:00Z" })).toBe(
      false,
    );
    expect(
      await insert(student, { user_id: student, decided_by: superAdmin, decision_reason: "ok" }),
    ).toBe(false);
    expect(await insert(student, { user_id: other })).toBe(false);
    // Only students ask: an admin's own request is refused too.
    const admin = await newUser("admin");
    expect(await insert(admin, { user_id: admin })).toBe(false);
  });
});
