import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import {
  auditLogs,
  notifications,
  oneTimeTokens,
  refreshTokens,
  sessions,
  users,
} from "../../src/db/schema";
import { runAs, SYSTEM } from "../../src/db/transaction";
import type { TokenPair, UserView } from "../../src/domains/auth/schemas";
import { refreshSession, revokeAllSessions } from "../../src/domains/auth/service/sessions";
import { loadConfig } from "../../src/env";
import type { ProblemBody } from "../../src/lib/problem";
import type { ServiceContext } from "../../src/lib/service-context";
import { hashToken } from "../../src/lib/tokens";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import { lastEmailTo, notificationsTo } from "../support/outbox";

const PASSWORD = "monsoon kites over pune";

async function signup(h: Harness, overrides: Record<string, unknown> = {}) {
  const email = `asha-${crypto.randomUUID().slice(0, 8)}@example.in`;
  const res = await h.post<unknown, { user: UserView; tokens: TokenPair }>("/v1/auth/signup", {
    email,
    password: PASSWORD,
    fullName: "Asha Rao",
    ...overrides,
  });
  return { res, email: (overrides.email as string | undefined)?.trim().toLowerCase() ?? email };
}

const auditRows = (h: Harness, action: string, entityId?: string) =>
  h.db
    .select()
    .from(auditLogs)
    .where(
      entityId
        ? and(eq(auditLogs.action, action), eq(auditLogs.entityId, entityId))
        : eq(auditLogs.action, action),
    );

describe("signup", () => {
  it("creates a student, normalises email and phone, returns a working token pair", async (t) => {
    const h = await Harness.init(t);
    const email = `  Asha.${crypto.randomUUID().slice(0, 6)}@Example.IN `;
    const { res } = await signup(h, { email, phone: "98765 43210" });
    expect(res.status, res.text).toBe(201);
    expect(res.body.user).toMatchObject({
      email: email.trim().toLowerCase(),
      phone: "+919876543210",
      role: "student",
      status: "active",
      emailVerified: false,
    });
    expect(res.body.tokens.refreshToken.length).toBeGreaterThanOrEqual(43);
    const me = await h.get<UserView>("/v1/me", {
      headers: { Authorization: `Bearer ${res.body.tokens.accessToken}` },
    });
    expect(me.status, me.text).toBe(200);
    expect(me.body.id).toBe(res.body.user.id);
    // Stored hashed: neither the password nor the refresh token appears in the database.
    const [row] = await h.db.select().from(users).where(eq(users.id, res.body.user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$|^\$pbkdf2-sha256\$/);
    const tokens = await h.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, res.body.user.id));
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.tokenHash).not.toBe(res.body.tokens.refreshToken);
    expect(await auditRows(h, "user.signup", res.body.user.id)).toHaveLength(1);
  });

  it("duplicate email → 409, nothing written", async (t) => {
    const h = await Harness.init(t);
    const { email } = await signup(h);
    const before = await h.db.select().from(users);
    const { res } = await signup(h, { email: email.toUpperCase() });
    expect(res.status, res.text).toBe(409);
    expect((res.body as unknown as ProblemBody).code).toBe("CONFLICT");
    expect(await h.db.select().from(users)).toHaveLength(before.length);
  });

  it.for([
    ["role", "admin"],
    ["status", "disabled"],
    ["emailVerifiedAt", "2026-01-01T00:00:00Z"],
    ["id", "00000000-0000-0000-0000-000000000000"],
  ] as const)("mass assignment of %s → 400, nothing written", async ([field, value], t) => {
    const h = await Harness.init(t);
    const count = (await h.db.select().from(users)).length;
    const { res } = await signup(h, { [field]: value });
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain(field);
    expect(await h.db.select().from(users)).toHaveLength(count);
  });

  it.for([
    ["short", "short7!"],
    ["common", "password123"],
    ["too long", "x".repeat(129)],
  ] as const)("rejects a %s password with a field error", async ([, password], t) => {
    const h = await Harness.init(t);
    const { res } = await signup(h, { password });
    expect(res.status, res.text).toBe(400);
    expect((res.body as unknown as ProblemBody).errors?.[0]?.path).toBe("password");
  });

  it("accepts any Unicode password up to 128 characters, verified exactly", async (t) => {
    const h = await Harness.init(t);
    const password = "नमस्ते🙂दुनिया-".repeat(8).slice(0, 100);
    const { res, email } = await signup(h, { password });
    expect(res.status, res.text).toBe(201);
    const ok = await h.post("/v1/auth/login", { email, password });
    expect(ok.status, ok.text).toBe(200);
    const wrong = await h.post("/v1/auth/login", { email, password: `${password.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
  });

  it("rejects an invalid phone", async (t) => {
    const h = await Harness.init(t);
    const { res } = await signup(h, { phone: "12345" });
    expect(res.status, res.text).toBe(400);
  });
});

describe("login", () => {
  it("answers unknown email, wrong password and disabled account identically, auditing each", async (t) => {
    const h = await Harness.init(t);
    const { email, res: created } = await signup(h);
    const disabled = await h.createUser({ status: "disabled" });
    const attempts = [
      await h.post("/v1/auth/login", {
        email: `nobody-${crypto.randomUUID()}@example.in`,
        password: PASSWORD,
      }),
      await h.post("/v1/auth/login", { email, password: `${PASSWORD}!` }),
      await h.post("/v1/auth/login", { email: disabled.email, password: disabled.password }),
    ];
    const bodies = attempts.map((r) => {
      expect(r.status, r.text).toBe(401);
      const { requestId: _r, ...rest } = r.body as ProblemBody;
      return rest;
    });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    const failed = await auditRows(h, "auth.login_failed");
    expect(failed.filter((r) => r.entityId === created.body.user.id)).toHaveLength(1);
    expect(failed.filter((r) => r.entityId === disabled.id)).toHaveLength(1);
  });

  it("success returns a token pair and writes one auth.login row", async (t) => {
    const h = await Harness.init(t);
    const { email, res: created } = await signup(h);
    const res = await h.post<unknown, TokenPair>("/v1/auth/login", { email, password: PASSWORD });
    expect(res.status, res.text).toBe(200);
    expect(res.body.tokenType).toBe("Bearer");
    expect(res.body.expiresIn).toBeLessThanOrEqual(900);
    expect(await auditRows(h, "auth.login", created.body.user.id)).toHaveLength(1);
  });
});

describe("refresh tokens", () => {
  it("rotate on every use; reusing a rotated token revokes the whole family", async (t) => {
    const h = await Harness.init(t);
    const { res } = await signup(h);
    const first = res.body.tokens.refreshToken;
    const second = await h.post<unknown, TokenPair>("/v1/auth/refresh", { refreshToken: first });
    expect(second.status, second.text).toBe(200);
    expect(second.body.refreshToken).not.toBe(first);
    const third = await h.post<unknown, TokenPair>("/v1/auth/refresh", {
      refreshToken: second.body.refreshToken,
    });
    expect(third.status, third.text).toBe(200);

    const replay = await h.post("/v1/auth/refresh", { refreshToken: first });
    expect(replay.status, replay.text).toBe(401);
    // The family is dead: the newest token and its access token stop working too.
    const latest = await h.post("/v1/auth/refresh", { refreshToken: third.body.refreshToken });
    expect(latest.status).toBe(401);
    const me = await h.get("/v1/me", {
      headers: { Authorization: `Bearer ${third.body.accessToken}` },
    });
    expect(me.status).toBe(401);
    expect(await auditRows(h, "session.reuse_detected")).toHaveLength(1);
  });

  it("two concurrent refreshes with one token (two tabs) leave a working session", async (t) => {
    const h = await Harness.init(t);
    const { res } = await signup(h);
    const token = res.body.tokens.refreshToken;
    const reusesBefore = (await auditRows(h, "session.reuse_detected")).length;
    const [a, b] = await Promise.all([
      h.post<unknown, TokenPair>("/v1/auth/refresh", { refreshToken: token }),
      h.post<unknown, TokenPair>("/v1/auth/refresh", { refreshToken: token }),
    ]);
    expect([a.status, b.status], `${a.text} ${b.text}`).toEqual([200, 200]);
    expect(a.body.refreshToken).not.toBe(b.body.refreshToken);
    for (const pair of [a.body, b.body]) {
      const me = await h.get("/v1/me", {
        headers: { Authorization: `Bearer ${pair.accessToken}` },
      });
      expect(me.status, me.text).toBe(200);
      const next = await h.post("/v1/auth/refresh", { refreshToken: pair.refreshToken });
      expect(next.status, next.text).toBe(200);
    }
    expect(await auditRows(h, "session.reuse_detected")).toHaveLength(reusesBefore);
  });

  it("a retry of the previous token within 30 s gets a pair; after 30 s it revokes the family", async (t) => {
    const h = await Harness.init(t);
    const { res } = await signup(h);
    const first = res.body.tokens.refreshToken;
    const reusesBefore = (await auditRows(h, "session.reuse_detected")).length;
    const second = await h.post<unknown, TokenPair>("/v1/auth/refresh", { refreshToken: first });
    expect(second.status).toBe(200);
    // The response was "lost": the client retries with the token it still has.
    const retry = await h.post<unknown, TokenPair>("/v1/auth/refresh", { refreshToken: first });
    expect(retry.status, retry.text).toBe(200);

    // Later than the grace window, the same replay is theft: the whole session ends.
    await h.db
      .update(refreshTokens)
      .set({ usedAt: new Date(Date.now() - 31_000) })
      .where(eq(refreshTokens.tokenHash, await hashToken(first)));
    const late = await h.post("/v1/auth/refresh", { refreshToken: first });
    expect(late.status, late.text).toBe(401);
    for (const pair of [second.body, retry.body]) {
      expect((await h.post("/v1/auth/refresh", { refreshToken: pair.refreshToken })).status).toBe(
        401,
      );
    }
    expect(await auditRows(h, "session.reuse_detected")).toHaveLength(reusesBefore + 1);
  });

  it("unknown refresh token → 401", async (t) => {
    const h = await Harness.init(t);
    const res = await h.post("/v1/auth/refresh", { refreshToken: "x".repeat(43) });
    expect(res.status).toBe(401);
  });

  it("an unknown refresh token costs one lookup and no transaction", async (t) => {
    const h = await Harness.init(t);
    const { db, close } = createDb({
      url: h.env.DATABASE_URL,
      wsProxy: h.env.NEON_WS_PROXY,
      timeoutMs: 5_000,
      contextSecret: h.env.DB_CONTEXT_SECRET,
    });
    t.onTestFinished(() => close());
    let transactions = 0;
    const counting = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === "transaction") transactions++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const loaded = loadConfig(h.env);
    if (!loaded.ok) throw new Error(loaded.issues.join("; "));
    const ctx = {
      db: counting,
      config: loaded.config,
      audit: { actorId: null, actorRole: null, requestId: "test", ip: null, userAgent: null },
    } as unknown as ServiceContext;
    await expect(refreshSession(ctx, "y".repeat(43))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(transactions).toBe(0);
    // A known one is looked up, then rotated in one transaction.
    const { res } = await signup(h);
    const pair = await refreshSession(ctx, res.body.tokens.refreshToken);
    expect(pair.refreshToken).not.toBe(res.body.tokens.refreshToken);
    expect(transactions).toBe(1);
  });
});

describe("concurrent account changes", () => {
  // Found by `npm run fuzz`: a password change racing logout-all answered 500 (deadlock detected).
  it("revoking all sessions takes the user row before the session rows (no lock cycle)", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    const open = () =>
      createDb({
        url: h.env.DATABASE_URL,
        wsProxy: h.env.NEON_WS_PROXY,
        timeoutMs: 10_000,
        contextSecret: h.env.DB_CONTEXT_SECRET,
      });
    const [a, b] = [open(), open()];
    t.onTestFinished(async () => {
      await a.close();
      await b.close();
    });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let bStarted: () => void = () => undefined;
    const bRunning = new Promise<void>((r) => {
      bStarted = r;
    });
    // A: a password change, which locks the user row first, then revokes the other sessions.
    const first = runAs(a.db, SYSTEM, async (tx) => {
      await tx.update(users).set({ passwordHash: "x" }).where(eq(users.id, u.id));
      bStarted();
      await held;
      await revokeAllSessions(tx, u.id, "password_change");
    });
    // B: logout-all for the same user while A holds the user row.
    await bRunning;
    const second = runAs(b.db, SYSTEM, (tx) => revokeAllSessions(tx, u.id, "logout_all"));
    await new Promise((r) => setTimeout(r, 300)); // let B take whatever it takes first
    release();
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual([
      "ok",
      "ok",
    ]);
  });
});

describe("logout", () => {
  it("logout ends that session only", async (t) => {
    const h = await Harness.init(t);
    const { res, email } = await signup(h);
    const other = await h.post<unknown, TokenPair>("/v1/auth/login", { email, password: PASSWORD });
    const out = await h.post("/v1/auth/logout", { refreshToken: res.body.tokens.refreshToken });
    expect(out.status, out.text).toBe(204);
    const auth = (tk: string) => ({ headers: { Authorization: `Bearer ${tk}` } });
    expect((await h.get("/v1/me", auth(res.body.tokens.accessToken))).status).toBe(401);
    expect((await h.get("/v1/me", auth(other.body.accessToken))).status).toBe(200);
    expect(
      (await h.post("/v1/auth/refresh", { refreshToken: res.body.tokens.refreshToken })).status,
    ).toBe(401);
    // Idempotent for unknown tokens.
    expect((await h.post("/v1/auth/logout", { refreshToken: "y".repeat(43) })).status).toBe(204);
  });

  it("logout-all kills every access and refresh token on the next request", async (t) => {
    const h = await Harness.init(t);
    const { res, email } = await signup(h);
    const other = await h.post<unknown, TokenPair>("/v1/auth/login", { email, password: PASSWORD });
    const auth = { headers: { Authorization: `Bearer ${res.body.tokens.accessToken}` } };
    expect((await h.post("/v1/auth/logout-all", undefined, auth)).status).toBe(204);
    expect((await h.get("/v1/me", auth)).status).toBe(401);
    expect(
      (await h.get("/v1/me", { headers: { Authorization: `Bearer ${other.body.accessToken}` } }))
        .status,
    ).toBe(401);
    expect(
      (await h.post("/v1/auth/refresh", { refreshToken: other.body.refreshToken })).status,
    ).toBe(401);
  });
});

describe("me", () => {
  it("PATCH /v1/me changes name and phone only", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    const ok = await h.patch<unknown, UserView>(
      "/v1/me",
      { fullName: " Ravi K ", phone: "+91 91234 56789" },
      { headers: u.auth },
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ fullName: "Ravi K", phone: "+919123456789" });
    for (const body of [
      { role: "admin" },
      { status: "disabled" },
      { email: "x@y.in" },
      { emailVerifiedAt: null },
    ]) {
      const res = await h.patch("/v1/me", body, { headers: u.auth });
      expect(res.status, res.text).toBe(400);
    }
    const [row] = await h.db.select().from(users).where(eq(users.id, u.id));
    expect(row).toMatchObject({ role: "student", status: "active", email: u.email });
  });

  it("GET /v1/me shows the row as it is now: a change is visible on the very next request", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    const before = await h.get<UserView>("/v1/me", { headers: u.auth });
    expect(before.body).toMatchObject({ id: u.id, email: u.email, role: "student" });
    // Changed behind the API's back: nothing may serve the old row.
    await h.db
      .update(users)
      .set({ fullName: "Meera Iyer", phone: "+919000000001", emailVerifiedAt: new Date() })
      .where(eq(users.id, u.id));
    const after = await h.get<UserView>("/v1/me", { headers: u.auth });
    expect(after.status, after.text).toBe(200);
    expect(after.body).toMatchObject({
      fullName: "Meera Iyer",
      phone: "+919000000001",
      emailVerified: true,
      createdAt: before.body.createdAt,
    });
  });

  it("password change needs the current password and ends other sessions", async (t) => {
    const h = await Harness.init(t);
    const { res, email } = await signup(h);
    const other = await h.post<unknown, TokenPair>("/v1/auth/login", { email, password: PASSWORD });
    const auth = { headers: { Authorization: `Bearer ${res.body.tokens.accessToken}` } };
    const wrong = await h.post(
      "/v1/me/password",
      { currentPassword: "not it at all", newPassword: "a brand new phrase" },
      auth,
    );
    expect(wrong.status, wrong.text).toBe(400);
    const ok = await h.post(
      "/v1/me/password",
      { currentPassword: PASSWORD, newPassword: "a brand new phrase" },
      auth,
    );
    expect(ok.status, ok.text).toBe(204);
    // Existing access tokens die at once; the other session is revoked; this one can refresh.
    expect((await h.get("/v1/me", auth)).status).toBe(401);
    expect(
      (await h.post("/v1/auth/refresh", { refreshToken: other.body.refreshToken })).status,
    ).toBe(401);
    expect(
      (await h.post("/v1/auth/refresh", { refreshToken: res.body.tokens.refreshToken })).status,
    ).toBe(200);
    expect((await h.post("/v1/auth/login", { email, password: "a brand new phrase" })).status).toBe(
      200,
    );
    expect(await auditRows(h, "auth.password_change", res.body.user.id)).toHaveLength(1);
  });
});

describe("password reset and email verification", () => {
  it("forgot answers 202 for unknown and known emails alike; reset works once", async (t) => {
    const h = await Harness.init(t);
    const { email, res } = await signup(h);
    const unknown = await h.post("/v1/auth/password/forgot", {
      email: `ghost-${crypto.randomUUID()}@example.in`,
    });
    const known = await h.post("/v1/auth/password/forgot", { email });
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(known.body).toEqual(unknown.body);

    const mail = await lastEmailTo(h, email);
    expect(mail?.template).toBe("password_reset");
    const token = mail?.token ?? "";
    const reset = await h.post("/v1/auth/password/reset", {
      token,
      password: "river stones and rain",
    });
    expect(reset.status, reset.text).toBe(204);
    expect(
      (await h.post("/v1/auth/password/reset", { token, password: "another fine phrase" })).status,
    ).toBe(400);
    expect(
      (await h.post("/v1/auth/login", { email, password: "river stones and rain" })).status,
    ).toBe(200);
    // Every earlier session was ended.
    expect(
      (await h.post("/v1/auth/refresh", { refreshToken: res.body.tokens.refreshToken })).status,
    ).toBe(401);
  });

  it("tokens are purpose-bound: a verification token cannot reset a password", async (t) => {
    const h = await Harness.init(t);
    const { email } = await signup(h);
    const mail = await lastEmailTo(h, email);
    expect(mail?.template).toBe("email_verification");
    const misuse = await h.post("/v1/auth/password/reset", {
      token: mail?.token,
      password: "river stones and rain",
    });
    expect(misuse.status).toBe(400);
    const verify = await h.post("/v1/auth/email/verify", { token: mail?.token });
    expect(verify.status, verify.text).toBe(204);
    const [row] = await h.db.select().from(users).where(eq(users.email, email));
    expect(row?.emailVerifiedAt).not.toBeNull();
    expect((await h.post("/v1/auth/email/verify", { token: mail?.token })).status).toBe(400);
  });

  it("an expired reset token is refused", async (t) => {
    const h = await Harness.init(t);
    const { email } = await signup(h);
    await h.post("/v1/auth/password/forgot", { email });
    const mail = await lastEmailTo(h, email);
    await h.db.update(oneTimeTokens).set({ expiresAt: new Date(Date.now() - 1000) });
    const res = await h.post("/v1/auth/password/reset", {
      token: mail?.token,
      password: "river stones and rain",
    });
    expect(res.status).toBe(400);
  });
});

describe("emails go through the outbox, in the transaction that issues the token", () => {
  it("the verification email is a notification of the signup: no token readable, sealed until sent", async (t) => {
    const h = await Harness.init(t);
    const { res, email } = await signup(h);
    expect(res.status, res.text).toBe(201);
    // Before any delivery: the row exists, committed with the user and the token.
    const [row, ...others] = await notificationsTo(h, email);
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      channel: "email",
      template: "email_verification",
      status: "queued",
      userId: res.body.user.id,
      variables: { name: "Asha Rao" },
    });
    expect(row?.sealedVariables).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toMatch(/token=/);

    const mail = await lastEmailTo(h, email);
    expect(mail?.id).toBe(row?.id);
    expect(mail?.token).toEqual(expect.any(String));
    expect(mail?.link).toMatch(/\/verify-email\?token=/);
    expect(JSON.stringify(row)).not.toContain(mail?.token ?? "?");
    // Sent: the sealed link is erased.
    const [sent] = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, row?.id ?? ""));
    expect(sent).toMatchObject({ status: "sent", sealedVariables: null });
    expect((await h.post("/v1/auth/email/verify", { token: mail?.token })).status).toBe(204);
  });

  it("a signup that rolls back after its token was issued leaves no notification", async (t) => {
    const h = await Harness.init(t);
    // Fails the signup at commit, after the user, the token and the notification were written
    // (a deferred trigger, on this address only).
    await adminQuery(
      `CREATE OR REPLACE FUNCTION test_fail_doomed_signup() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'forced failure at commit'; END $$`,
      [],
      h.database,
    );
    await adminQuery(
      `CREATE CONSTRAINT TRIGGER test_fail_doomed_signup AFTER INSERT ON users
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
         WHEN (NEW.email LIKE 'doomed-%')
         EXECUTE FUNCTION test_fail_doomed_signup()`,
      [],
      h.database,
    );
    t.onTestFinished(async () => {
      await adminQuery("DROP TRIGGER test_fail_doomed_signup ON users", [], h.database);
    });
    const tokensBefore = (await h.db.select().from(oneTimeTokens)).length;
    const { res, email } = await signup(h, {
      email: `doomed-${crypto.randomUUID().slice(0, 8)}@example.in`,
    });
    expect(res.status, res.text).toBe(500);
    expect(await h.db.select().from(users).where(eq(users.email, email))).toEqual([]);
    expect(await h.db.select().from(oneTimeTokens)).toHaveLength(tokensBefore);
    expect(await notificationsTo(h, email)).toEqual([]);
    // What the request handed to the Queue is found gone and sends nothing.
    expect(await lastEmailTo(h, email)).toBeUndefined();
    const { devMessages } = await import("../../src/providers/messaging/dev");
    expect(devMessages.list(email)).toEqual([]);
  });

  it("forgot-password queues its email after the response and hands it to the Queue itself", async (t) => {
    const h = await Harness.init(t);
    const { email } = await signup(h);
    await lastEmailTo(h, email);
    const handedOver = h.queue.history.length;
    expect((await h.post("/v1/auth/password/forgot", { email })).status).toBe(202);
    const resets = (await notificationsTo(h, email)).filter((n) => n.template === "password_reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]?.variables).toEqual({ name: "Asha Rao" });
    // The request's own hand-over ran before the detached work: this one came from it.
    expect(h.queue.history.slice(handedOver).map((m) => m.body.id)).toEqual([resets[0]?.id]);
    expect((await lastEmailTo(h, email))?.template).toBe("password_reset");
  });

  it("resending the verification writes a new notification; a verified user gets none", async (t) => {
    const h = await Harness.init(t);
    const { res, email } = await signup(h);
    const auth = { Authorization: `Bearer ${res.body.tokens.accessToken}` };
    const first = await lastEmailTo(h, email);
    expect((await h.post("/v1/auth/email/resend", undefined, { headers: auth })).status).toBe(202);
    const second = await lastEmailTo(h, email);
    expect(second?.template).toBe("email_verification");
    expect(second?.id).not.toBe(first?.id);
    expect(second?.token).not.toBe(first?.token);
    expect((await h.post("/v1/auth/email/verify", { token: second?.token })).status).toBe(204);
    await h.post("/v1/auth/email/resend", undefined, { headers: auth });
    expect(await notificationsTo(h, email)).toHaveLength(2);
  });
});

describe("disable takes effect immediately", () => {
  it("a disabled user's live access token fails on the next request", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    expect((await h.get("/v1/me", { headers: u.auth })).status).toBe(200);
    await h.db.update(users).set({ status: "disabled" }).where(eq(users.id, u.id));
    expect((await h.get("/v1/me", { headers: u.auth })).status).toBe(401);
  });

  it("a revoked session's access token fails too", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    await h.db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, u.sessionId));
    expect((await h.get("/v1/me", { headers: u.auth })).status).toBe(401);
  });
});

describe("last activity", () => {
  it("is stamped off the request path at most once per few minutes", async (t) => {
    const h = await Harness.init(t);
    const u = await h.asStudent();
    const read = async () =>
      (await h.db.select().from(users).where(eq(users.id, u.id)))[0]?.lastActiveAt;
    expect(await read()).toBeNull();
    expect((await h.get("/v1/me", { headers: u.auth })).status).toBe(200);
    const first = await read();
    expect(first).toBeInstanceOf(Date);
    expect((await h.get("/v1/me", { headers: u.auth })).status).toBe(200);
    expect((await read())?.getTime()).toBe(first?.getTime());
    // Older than the interval: stamped again.
    await h.db
      .update(users)
      .set({ lastActiveAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(users.id, u.id));
    await h.get("/v1/me", { headers: u.auth });
    expect((await read())?.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});
