import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, errorLogs, users } from "../../src/db/schema";
import type { UserView } from "../../src/domains/auth/schemas";
import { Harness } from "../support/harness";

interface Page<T> {
  data: T[];
  pagination: {
    limit?: number;
    nextCursor?: string | null;
    hasMore?: boolean;
    total?: number;
    totalPages?: number;
  };
}

describe("admin users", () => {
  it("lists with role/status/text filters, keyset and offset pagination", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const tag = crypto.randomUUID().slice(0, 6);
    for (let i = 0; i < 5; i++) await h.createUser({ fullName: `Meera ${tag} ${i}` });
    await h.createUser({ fullName: `Meera ${tag} off`, status: "disabled" });

    const search = await h.get<Page<UserView>>(`/v1/admin/users?q=${tag}&status=active&limit=2`, {
      headers: admin.auth,
    });
    expect(search.status, search.text).toBe(200);
    expect(search.body.data).toHaveLength(2);
    expect(search.body.pagination.hasMore).toBe(true);
    expect(search.headers.get("Link")).toMatch(/rel="next"/);
    const seen = new Set(search.body.data.map((u) => u.id));
    let cursor = search.body.pagination.nextCursor;
    while (cursor) {
      const next = await h.get<Page<UserView>>(
        `/v1/admin/users?q=${tag}&status=active&limit=2&cursor=${encodeURIComponent(cursor)}`,
        { headers: admin.auth },
      );
      expect(next.status, next.text).toBe(200);
      for (const u of next.body.data) seen.add(u.id);
      cursor = next.body.pagination.nextCursor;
    }
    expect(seen.size).toBe(5);

    const offset = await h.get<Page<UserView>>(`/v1/admin/users?q=${tag}&page=2&perPage=4`, {
      headers: admin.auth,
    });
    expect(offset.status, offset.text).toBe(200);
    expect(offset.body.pagination).toMatchObject({ total: 6, totalPages: 2 });
    expect(offset.body.data).toHaveLength(2);

    const tampered = await h.get(
      `/v1/admin/users?cursor=${encodeURIComponent(`${search.body.pagination.nextCursor}x`)}`,
      { headers: admin.auth },
    );
    expect(tampered.status).toBe(400);
    // Never a password hash in a listing.
    expect(search.text).not.toMatch(/argon2|pbkdf2|passwordHash/);
  });

  it("disable is audited with before/after and ends the user's sessions at once", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    const res = await h.patch<unknown, UserView>(
      `/v1/admin/users/${student.id}`,
      { status: "disabled" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("disabled");
    expect((await h.get("/v1/me", { headers: student.auth })).status).toBe(401);
    const rows = await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "user.disable"), eq(auditLogs.entityId, student.id)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: admin.id,
      actorRole: "admin",
      before: expect.objectContaining({ status: "active" }),
      after: expect.objectContaining({ status: "disabled" }),
    });
    expect(JSON.stringify(rows[0])).not.toMatch(/argon2|pbkdf2/);

    const enable = await h.patch(
      `/v1/admin/users/${student.id}`,
      { status: "active" },
      { headers: admin.auth },
    );
    expect(enable.status).toBe(200);
    expect(
      await h.db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.action, "user.enable"), eq(auditLogs.entityId, student.id))),
    ).toHaveLength(1);
  });

  it("role or other fields in the admin PATCH body → 400, nothing written", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    for (const body of [
      { role: "admin" },
      { status: "active", role: "super_admin" },
      { email: "x@y.in" },
    ]) {
      const res = await h.patch(`/v1/admin/users/${student.id}`, body, { headers: admin.auth });
      expect(res.status, res.text).toBe(400);
    }
    const [row] = await h.db.select().from(users).where(eq(users.id, student.id));
    expect(row?.role).toBe("student");
  });

  it("unknown user → 404; a malformed id → 400", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    expect(
      (await h.get(`/v1/admin/users/${crypto.randomUUID()}`, { headers: admin.auth })).status,
    ).toBe(404);
    expect((await h.get("/v1/admin/users/not-a-uuid", { headers: admin.auth })).status).toBe(400);
  });
});

describe("audit and error logs", () => {
  it("audit log lists with filters and verifies clean", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    await h.patch(`/v1/admin/users/${student.id}`, { status: "disabled" }, { headers: admin.auth });
    const res = await h.get<Page<{ action: string; entityId: string }>>(
      `/v1/admin/audit-logs?action=user.disable&entityId=${student.id}`,
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const verify = await h.get<{ ok: boolean }>("/v1/admin/audit-logs/verify", {
      headers: admin.auth,
    });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body.ok).toBe(true);
  });

  it("error logs list and stats by code and severity", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const code = `TEST_${crypto.randomUUID().slice(0, 6)}`;
    await h.db.insert(errorLogs).values([
      { severity: "error", code, status: 500, message: "a" },
      { severity: "error", code, status: 500, message: "b" },
      { severity: "warning", code, status: 503, message: "c" },
    ]);
    const list = await h.get<Page<{ code: string }>>(
      `/v1/admin/error-logs?code=${code}&severity=error`,
      { headers: admin.auth },
    );
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toHaveLength(2);
    const stats = await h.get<{
      byCode: { code: string; count: number }[];
      bySeverity: { severity: string; count: number }[];
    }>("/v1/admin/error-logs/stats", { headers: admin.auth });
    expect(stats.status, stats.text).toBe(200);
    expect(stats.body.byCode).toContainEqual({ code, count: 3 });
    const bad = await h.get("/v1/admin/error-logs?from=yesterday", { headers: admin.auth });
    expect(bad.status).toBe(400);
  });
});

describe("who may change whose status", () => {
  it("an admin manages students only; a super admin manages admins; nobody changes themselves", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const otherAdmin = await h.asAdmin();
    const superAdmin = await h.asAdmin("super_admin");
    const patch = (who: { auth: Record<string, string> }, id: string, status: string) =>
      h.patch(`/v1/admin/users/${id}`, { status }, { headers: who.auth });

    expect((await patch(admin, superAdmin.id, "disabled")).status).toBe(403);
    expect((await patch(admin, otherAdmin.id, "disabled")).status).toBe(403);
    expect((await patch(admin, admin.id, "disabled")).status).toBe(403);
    expect((await patch(superAdmin, superAdmin.id, "disabled")).status).toBe(403);
    const [row] = await h.db.select().from(users).where(eq(users.id, superAdmin.id));
    expect(row?.status).toBe("active");

    const ok = await patch(superAdmin, otherAdmin.id, "disabled");
    expect(ok.status, ok.text).toBe(200);
    expect((await h.get("/v1/me", { headers: otherAdmin.auth })).status).toBe(401);
  });

  it("the database refuses it too, whatever the service does", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const superAdmin = await h.asAdmin("super_admin");
    const { adminQuery } = await import("../support/database");
    const [res] = await adminQuery<{ r: boolean }>(
      `SELECT test_can_update($1, 'users', $2, '{"status":"disabled"}') r`,
      [admin.id, superAdmin.id],
      h.database,
    );
    expect(res?.r).toBe(false);
  });
});
