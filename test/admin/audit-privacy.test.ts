/**
 * What audit rows keep of client input: failed logins store a keyed hash of the typed email
 * (searchable by admins, meaningless without AUDIT_HASH_SECRET), and a client's X-Request-Id
 * reaches the tables only when it is short and plain.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../src/db/schema";
import { auditEmailHmac } from "../../src/lib/audit";
import { Harness } from "../support/harness";

const failedLogin = (h: Harness, email: string, requestId?: string) =>
  h.post(
    "/v1/auth/login",
    { email, password: "not the password at all" },
    { headers: requestId ? { "X-Request-Id": requestId } : {} },
  );

const loginFailures = (h: Harness, requestId: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.action, "auth.login_failed"), eq(auditLogs.requestId, requestId)));

describe("failed-login audit rows", () => {
  it("store a keyed hash of the typed email, never the email; admins can still search by it", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const victim = `victim-${crypto.randomUUID().slice(0, 8)}@example.in`;
    const requestId = `req-test-${crypto.randomUUID()}`;
    const res = await failedLogin(h, victim, requestId);
    expect(res.status, res.text).toBe(401);

    const [row, ...more] = await loginFailures(h, requestId);
    expect(more).toEqual([]);
    expect(JSON.stringify(row)).not.toContain(victim);
    expect(JSON.stringify(row)).not.toContain(victim.split("@")[0]);
    const hmac = await auditEmailHmac(h.env.AUDIT_HASH_SECRET, victim);
    expect(row?.after).toEqual({ emailHmac: hmac, reason: "unknown_email" });
    // Keyed: without the secret the value cannot be recomputed from a guessed address.
    expect(await auditEmailHmac("another-secret-0123456789abcdef0123456789", victim)).not.toBe(
      hmac,
    );

    // "Was this address attacked?" Same normalisation as login (case, spaces).
    const search = await h.get<{ data: { id: number; after: unknown }[] }>(
      `/v1/admin/audit-logs?email=${encodeURIComponent(` ${victim.toUpperCase()} `)}`,
      { headers: admin.auth },
    );
    expect(search.status, search.text).toBe(200);
    expect(search.body.data.map((r) => r.id)).toEqual([row?.id]);
    const other = await h.get<{ data: unknown[] }>(
      `/v1/admin/audit-logs?email=${encodeURIComponent(`nobody-${victim}`)}`,
      { headers: admin.auth },
    );
    expect(other.body.data).toEqual([]);
  });
});

describe("X-Request-Id on its way into the tables", () => {
  const plain64 = `r${"a".repeat(62)}z`;
  it.for([
    ["64 plain characters: kept", plain64, true],
    ["65 characters: replaced", `${plain64}x`, false],
    ["a space: replaced", "request id with space", false],
    ["a quote: replaced", "req'-or-1=1--", false],
    ["non-ASCII: replaced", "requête-0123456789", false],
  ] as const)("%s", async ([, incoming, kept], t) => {
    const h = await Harness.init(t);
    const res = await failedLogin(h, `rid-${crypto.randomUUID().slice(0, 8)}@example.in`, incoming);
    expect(res.status, res.text).toBe(401);
    const used = res.headers.get("X-Request-Id") ?? "";
    if (kept) expect(used).toBe(incoming);
    else expect(used).toMatch(/^req_[0-9a-f-]{36}$/);
    const rows = await loginFailures(h, used);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.requestId?.length).toBeLessThanOrEqual(64);
  });
});
