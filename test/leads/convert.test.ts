/**
 * Converting a lead: the account created (unusable password) or linked, the invitation token and
 * its queued notification (link sealed), accepting it, and converting again.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, contacts, notifications, oneTimeTokens, users } from "../../src/db/schema";
import type { ConvertLeadResult } from "../../src/domains/leads/schemas";
import { openVariables } from "../../src/lib/notifications/seal";
import { verifyPassword } from "../../src/lib/password";
import { Harness } from "../support/harness";
import { activitiesOf, freshMobile, makeLead, postLead } from "./support";

const convert = (h: Harness, id: string, headers: Record<string, string>) =>
  h.post<unknown, ConvertLeadResult & { code?: string; userId?: string }>(
    `/v1/admin/leads/${id}/convert`,
    undefined,
    { headers },
  );

/** The invitation link's token, opened from the notification row as the consumer would. */
async function invitationToken(h: Harness, userId: string) {
  const [row] = await h.db.select().from(notifications).where(eq(notifications.userId, userId));
  if (!row?.sealedVariables) return { row, token: null };
  const opened = await openVariables(h.env.JWT_SECRET, row.id, row.sealedVariables);
  const link = String(opened?.link ?? "");
  return { row, link, token: new URL(link).searchParams.get("token") };
}

describe("POST /v1/admin/leads/{id}/convert", () => {
  it("creates the student, queues a sealed invitation; the invitation sets a password that logs in", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h, { name: "Meera Iyer", phone: freshMobile() });
    const res = await convert(h, lead.id, admin.auth);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ linkedExistingUser: false, invitationSent: true });
    expect(res.body.lead).toMatchObject({ status: "converted", userId: res.body.userId });

    const [user] = await h.db.select().from(users).where(eq(users.id, res.body.userId));
    expect(user).toMatchObject({
      email: lead.email,
      fullName: "Meera Iyer",
      role: "student",
      phone: lead.phone,
    });
    expect(user?.emailVerifiedAt).toBeNull();
    // The sentinel hash parses and matches nothing, without throwing.
    expect(await verifyPassword("", user?.passwordHash ?? "")).toMatchObject({ ok: false });
    const blocked = await h.post("/v1/auth/login", {
      email: lead.email,
      password: "anything at all 42",
    });
    expect(blocked.status, blocked.text).toBe(401);

    const tokens = await h.db
      .select()
      .from(oneTimeTokens)
      .where(
        and(
          eq(oneTimeTokens.userId, user?.id ?? ""),
          eq(oneTimeTokens.purpose, "account_invitation"),
        ),
      );
    expect(tokens).toHaveLength(1);
    const ttl = (tokens[0]?.expiresAt.getTime() ?? 0) - Date.now();
    expect(ttl).toBeGreaterThan(6.9 * 86_400_000);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);

    const { row, link, token } = await invitationToken(h, user?.id ?? "");
    expect(row).toMatchObject({
      channel: "email",
      toAddress: lead.email,
      template: "account_invitation",
      transactional: true,
      status: "queued",
      contactId: lead.id,
      variables: { name: "Meera Iyer" },
    });
    expect(row?.dedupeKey).toMatch(new RegExp(`^invitation:${user?.id}:`));
    expect(row?.sealedVariables).not.toBeNull();
    expect(JSON.stringify(row?.variables)).not.toContain(token ?? "missing");
    expect(link).toMatch(/\/accept-invitation\?token=/);

    const activity = (await activitiesOf(h, lead.id)).at(-1);
    expect(activity).toMatchObject({ kind: "lead_converted", actorId: admin.id });
    const audits = await h.db.select().from(auditLogs).where(eq(auditLogs.entityId, lead.id));
    expect(audits.map((a) => a.action)).toContain("lead.converted");

    // A weak password is refused and the token survives it; then a good one works once.
    const weak = await h.post("/v1/auth/accept-invitation", { token, password: "password" });
    expect(weak.status, weak.text).toBe(400);
    const password = "banyan tabla monsoon 77";
    const accepted = await h.post("/v1/auth/accept-invitation", { token, password });
    expect(accepted.status, accepted.text).toBe(204);
    const again = await h.post("/v1/auth/accept-invitation", { token, password });
    expect(again.status, again.text).toBe(400);
    const login = await h.post<unknown, { accessToken?: string }>("/v1/auth/login", {
      email: lead.email,
      password,
    });
    expect(login.status, login.text).toBe(200);
    expect(login.body.accessToken).toBeTruthy();
    const [after] = await h.db
      .select()
      .from(users)
      .where(eq(users.id, user?.id ?? ""));
    expect(after?.emailVerifiedAt).not.toBeNull();
    const accepts = await h.db
      .select()
      .from(auditLogs)
      .where(
        and(
          eq(auditLogs.entityId, user?.id ?? ""),
          eq(auditLogs.action, "auth.invitation_accepted"),
        ),
      );
    expect(accepts).toHaveLength(1);
  });

  it("a reset token is not an invitation token", async (t) => {
    const h = await Harness.init(t);
    const res = await h.post("/v1/auth/accept-invitation", {
      token: "x".repeat(43),
      password: "banyan tabla monsoon 77",
    });
    expect(res.status, res.text).toBe(400);
  });

  it("a lead whose email is an existing student's links that account; no invitation", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const student = await h.asStudent();
    // A lead with the student's email, made while they had no contact (so not linked yet).
    const lead = await makeLead(h, { email: student.email });
    await h.db.update(contacts).set({ userId: null }).where(eq(contacts.id, lead.id));
    const res = await convert(h, lead.id, admin.auth);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      userId: student.id,
      linkedExistingUser: true,
      invitationSent: false,
    });
    const [row] = await h.db.select().from(contacts).where(eq(contacts.id, lead.id));
    expect(row).toMatchObject({ userId: student.id, leadStatus: "converted" });
    expect(row?.convertedAt).not.toBeNull();
    expect(
      await h.db.select().from(notifications).where(eq(notifications.userId, student.id)),
    ).toHaveLength(0);
    expect(await h.db.select().from(users).where(eq(users.email, student.email))).toHaveLength(1);
    // Their password is untouched.
    const login = await h.post("/v1/auth/login", {
      email: student.email,
      password: student.password,
    });
    expect(login.status, login.text).toBe(200);
  });

  it("converting twice is 409 with the account; the same Idempotency-Key replays instead", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const lead = await makeLead(h);
    const key = crypto.randomUUID();
    const first = await convert(h, lead.id, { ...admin.auth, "Idempotency-Key": key });
    expect(first.status, first.text).toBe(200);
    const replay = await convert(h, lead.id, { ...admin.auth, "Idempotency-Key": key });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body.userId).toBe(first.body.userId);
    const second = await convert(h, lead.id, admin.auth);
    expect(second.status, second.text).toBe(409);
    expect(second.body.userId).toBe(first.body.userId);
    expect(
      await h.db
        .select()
        .from(users)
        .where(eq(users.email, lead.email ?? "")),
    ).toHaveLength(1);
    expect(
      await h.db.select().from(notifications).where(eq(notifications.userId, first.body.userId)),
    ).toHaveLength(1);
  });

  it("no email → 422; a lost lead → 409 (reopen first)", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const digits = freshMobile();
    expect((await postLead(h, { phone: digits })).status).toBe(202);
    const [phoneOnly] = await h.db
      .select()
      .from(contacts)
      .where(eq(contacts.phone, `+91${digits}`));
    const res = await convert(h, phoneOnly?.id ?? "", admin.auth);
    expect(res.status, res.text).toBe(422);
    expect(res.body.code).toBe("UNPROCESSABLE");

    const lost = await makeLead(h);
    await h.db
      .update(contacts)
      .set({ leadStatus: "lost", lostReason: "x" })
      .where(eq(contacts.id, lost.id));
    const refused = await convert(h, lost.id, admin.auth);
    expect(refused.status, refused.text).toBe(409);
    const [row] = await h.db.select().from(contacts).where(eq(contacts.id, lost.id));
    expect(row?.leadStatus).toBe("lost");
  });
});
