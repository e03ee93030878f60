import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { adminRequests, auditLogs, users } from "../../src/db/schema";
import type { AdminRequestView } from "../../src/domains/admin-requests/schemas";
import { Harness } from "../support/harness";
import { lastEmailTo } from "../support/outbox";

async function submitted(h: Harness) {
  const student = await h.asStudent();
  const res = await h.post<unknown, AdminRequestView>(
    "/v1/admin-requests",
    { phone: "98765 43210", reason: "I coordinate the Nagpur batch" },
    { headers: student.auth },
  );
  expect(res.status, res.text).toBe(201);
  const mail = await lastEmailTo(h, student.email);
  return { student, request: res.body, token: mail?.token ?? "" };
}

const auditCount = async (h: Harness, action: string, entityId: string) =>
  (
    await h.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, action), eq(auditLogs.entityId, entityId)))
  ).length;

describe("admin verification workflow", () => {
  it("submit → email → verify → approve: role, status and audit rows change together", async (t) => {
    const h = await Harness.init(t);
    const { student, request, token } = await submitted(h);
    expect(request).toMatchObject({ status: "pending_verification", phone: "+919876543210" });
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(await auditCount(h, "admin_request.submit", request.id)).toBe(1);

    const superAdmin = await h.asAdmin("super_admin");
    const early = await h.post(`/v1/admin/admin-requests/${request.id}/approve`, undefined, {
      headers: superAdmin.auth,
    });
    expect(early.status, early.text).toBe(409);

    const verify = await h.post("/v1/admin-requests/verify", { token });
    expect(verify.status, verify.text).toBe(204);
    expect((await h.post("/v1/admin-requests/verify", { token })).status).toBe(400);
    expect(await auditCount(h, "admin_request.verify", request.id)).toBe(1);

    const listed = await h.get<{ data: AdminRequestView[] }>(
      "/v1/admin/admin-requests?status=verified",
      { headers: superAdmin.auth },
    );
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.data.map((r) => r.id)).toContain(request.id);

    const approve = await h.post<unknown, AdminRequestView>(
      `/v1/admin/admin-requests/${request.id}/approve`,
      undefined,
      { headers: superAdmin.auth },
    );
    expect(approve.status, approve.text).toBe(200);
    expect(approve.body).toMatchObject({ status: "approved", decidedBy: superAdmin.id });
    const [user] = await h.db.select().from(users).where(eq(users.id, student.id));
    expect(user?.role).toBe("admin");
    expect(await auditCount(h, "admin_request.approve", request.id)).toBe(1);
    expect(await auditCount(h, "user.role_change", student.id)).toBe(1);
    expect((await lastEmailTo(h, student.email))?.template).toBe("admin_request_decision");

    // The new role is effective on the student's existing token (roles come from the database).
    expect((await h.get("/v1/admin/users", { headers: student.auth })).status).toBe(200);

    const twice = await h.post(
      `/v1/admin/admin-requests/${request.id}/reject`,
      { reason: "changed my mind" },
      { headers: superAdmin.auth },
    );
    expect(twice.status, twice.text).toBe(409);
  });

  it("reject needs a reason and leaves the role alone", async (t) => {
    const h = await Harness.init(t);
    const { student, request, token } = await submitted(h);
    await h.post("/v1/admin-requests/verify", { token });
    const superAdmin = await h.asAdmin("super_admin");
    const noReason = await h.post(
      `/v1/admin/admin-requests/${request.id}/reject`,
      {},
      { headers: superAdmin.auth },
    );
    expect(noReason.status).toBe(400);
    const res = await h.post<unknown, AdminRequestView>(
      `/v1/admin/admin-requests/${request.id}/reject`,
      { reason: "Please apply through your centre" },
      { headers: superAdmin.auth },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.decisionReason).toBe("Please apply through your centre");
    const [user] = await h.db.select().from(users).where(eq(users.id, student.id));
    expect(user?.role).toBe("student");
    expect(await auditCount(h, "admin_request.reject", request.id)).toBe(1);
  });

  it("a second open request → 409; an unknown id → 404", async (t) => {
    const h = await Harness.init(t);
    const { student } = await submitted(h);
    const again = await h.post(
      "/v1/admin-requests",
      { phone: "+919876543210", reason: "Asking once more, politely" },
      { headers: student.auth },
    );
    expect(again.status, again.text).toBe(409);
    const superAdmin = await h.asAdmin("super_admin");
    const missing = await h.post(
      `/v1/admin/admin-requests/${crypto.randomUUID()}/approve`,
      undefined,
      { headers: superAdmin.auth },
    );
    expect(missing.status).toBe(404);
  });

  it("approval is all-or-nothing: if the audit insert fails, role and status roll back", async (t) => {
    const h = await Harness.init(t);
    const { student, request, token } = await submitted(h);
    await h.post("/v1/admin-requests/verify", { token });
    const superAdmin = await h.asAdmin("super_admin");
    // Make audit inserts fail for this action only, as a broken audit table would.
    await h.db.execute(
      `
      CREATE FUNCTION fail_approve_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'admin_request.approve' THEN RAISE EXCEPTION 'audit down'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER fail_approve_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION fail_approve_audit();
    ` as never,
    );
    try {
      const res = await h.post(`/v1/admin/admin-requests/${request.id}/approve`, undefined, {
        headers: superAdmin.auth,
      });
      expect(res.status, res.text).toBe(500);
      const [user] = await h.db.select().from(users).where(eq(users.id, student.id));
      expect(user?.role).toBe("student");
      const [row] = await h.db.select().from(adminRequests).where(eq(adminRequests.id, request.id));
      expect(row?.status).toBe("verified");
    } finally {
      await h.db.execute(
        "DROP TRIGGER fail_approve_audit ON audit_logs; DROP FUNCTION fail_approve_audit();" as never,
      );
    }
  });
});
