import { eq } from "drizzle-orm";
import { isUniqueViolation } from "../../../db/client";
import { type User, users } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { auditEmailHmac, recordAudit } from "../../../lib/audit";
import { AppError, conflict, unauthenticated, validationFailed } from "../../../lib/errors";
import {
  hashPassword,
  validatePasswordPolicy,
  verifyAgainstDummy,
  verifyPassword,
} from "../../../lib/password";
import { normalizePhone } from "../../../lib/phone";
import type { ServiceContext } from "../../../lib/service-context";
import type { Principal } from "../../../middleware/auth";
import type { TokenPair, UserView } from "../schemas";
import { issueEmailVerification } from "./recovery";
import { revokeAllSessions, startSession } from "./sessions";
import { auditUser, toUserView } from "./views";

const INVALID_LOGIN = "The email or password is incorrect.";

export function checkPassword(
  password: string,
  field: string,
  identity: { email?: string; name?: string },
) {
  const policy = validatePasswordPolicy(password, identity);
  if (!policy.ok) throw validationFailed([{ path: field, message: policy.message }]);
}

export function phoneOrThrow(input: string | null | undefined, field = "phone"): string | null {
  if (input === undefined || input === null) return null;
  const phone = normalizePhone(input);
  if (!phone) {
    throw validationFailed([
      {
        path: field,
        message:
          "Use an international number (+<country><number>) or a 10-digit Indian mobile number",
      },
    ]);
  }
  return phone;
}

export async function signup(
  ctx: ServiceContext,
  input: { email: string; password: string; fullName: string; phone?: string },
): Promise<{ user: UserView; tokens: TokenPair }> {
  checkPassword(input.password, "password", { email: input.email, name: input.fullName });
  const phone = phoneOrThrow(input.phone);
  // Hash before looking anything up: a taken email costs the same time as a free one.
  const passwordHash = await hashPassword(input.password);
  try {
    const created = await runAs(ctx.db, SYSTEM, async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ email: input.email, passwordHash, fullName: input.fullName, phone })
        .returning();
      if (!user) throw new Error("user insert returned nothing");
      const meta = { ...ctx.audit, actorId: user.id, actorRole: user.role };
      await recordAudit(tx, meta, {
        action: "user.signup",
        entityType: "user",
        entityId: user.id,
        after: auditUser(user),
      });
      const tokens = await startSession(tx, { ...ctx, audit: meta }, user);
      // In this transaction: a rolled-back signup leaves no notification (and no working link).
      await issueEmailVerification(tx, ctx, user);
      return { user: toUserView(user), tokens };
    });
    return created;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("An account with this email already exists.");
    throw err;
  }
}

export async function login(
  ctx: ServiceContext,
  input: { email: string; password: string },
): Promise<TokenPair> {
  const [user] = await runAs(ctx.db, SYSTEM, (tx) =>
    tx.select().from(users).where(eq(users.email, input.email)).limit(1),
  );
  // Unknown accounts verify against a dummy hash so both paths cost one verification.
  const verdict = user
    ? await verifyPassword(input.password, user.passwordHash)
    : { ok: await verifyAgainstDummy(input.password), needsRehash: false };
  const failure = !user
    ? "unknown_email"
    : !verdict.ok
      ? "wrong_password"
      : user.status !== "active"
        ? "disabled"
        : null;

  if (failure || !user) {
    // The typed email is attacker-supplied (and may be someone else's): only its keyed hash is
    // kept, which an admin can still search for (GET /v1/admin/audit-logs?email=).
    const emailHmac = await auditEmailHmac(ctx.config.AUDIT_HASH_SECRET, input.email);
    await runAs(ctx.db, SYSTEM, (tx) =>
      recordAudit(
        tx,
        { ...ctx.audit, actorId: user?.id ?? null, actorRole: user?.role ?? null },
        {
          action: "auth.login_failed",
          entityType: "user",
          entityId: user?.id ?? null,
          after: { emailHmac, reason: failure },
        },
      ),
    );
    throw unauthenticated(INVALID_LOGIN);
  }
  const rehash = verdict.needsRehash ? await hashPassword(input.password) : null;
  return runAs(ctx.db, SYSTEM, async (tx) => {
    if (rehash) await tx.update(users).set({ passwordHash: rehash }).where(eq(users.id, user.id));
    const meta = { ...ctx.audit, actorId: user.id, actorRole: user.role };
    const tokens = await startSession(tx, { ...ctx, audit: meta }, user);
    await recordAudit(tx, meta, { action: "auth.login", entityType: "user", entityId: user.id });
    return tokens;
  });
}

async function currentUser(ctx: ServiceContext): Promise<User> {
  const userId = ctx.actor.userId;
  if (!userId) throw unauthenticated();
  // The caller's own context: RLS lets a user read only their own row.
  const [user] = await runAs(ctx.http, ctx.actor, (q) =>
    q.select().from(users).where(eq(users.id, userId)).limit(1),
  );
  if (!user) throw unauthenticated();
  return user;
}

/**
 * The signed-in user as this request's principal lookup read it (requireAuth, auth_principal):
 * the same row, read once per request, so /v1/me costs one database round trip in all.
 */
export function getMe(principal: Principal | undefined): UserView {
  if (!principal) throw unauthenticated();
  return toUserView({
    id: principal.userId,
    email: principal.email,
    role: principal.role,
    ...principal.profile,
  });
}

export async function updateMe(
  ctx: ServiceContext,
  input: { fullName?: string; phone?: string | null },
): Promise<UserView> {
  const userId = ctx.actor.userId;
  if (!userId) throw unauthenticated();
  const patch: Partial<Pick<User, "fullName" | "phone">> = {};
  if (input.fullName !== undefined) patch.fullName = input.fullName;
  if (input.phone !== undefined)
    patch.phone = input.phone === null ? null : phoneOrThrow(input.phone);
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
    const [after] = await tx.update(users).set(patch).where(eq(users.id, userId)).returning();
    if (!before || !after) throw unauthenticated();
    await recordAudit(tx, ctx.audit, {
      action: "user.update_profile",
      entityType: "user",
      entityId: userId,
      before: auditUser(before),
      after: auditUser(after),
    });
    return toUserView(after);
  });
}

/** Needs the current password; ends every other session (and live access tokens). */
export async function changePassword(
  ctx: ServiceContext,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await currentUser(ctx);
  const verdict = await verifyPassword(input.currentPassword, user.passwordHash);
  if (!verdict.ok) {
    await runAs(ctx.db, SYSTEM, (tx) =>
      recordAudit(tx, ctx.audit, {
        action: "auth.password_change_failed",
        entityType: "user",
        entityId: user.id,
        after: { reason: "wrong_current_password" },
      }),
    );
    throw new AppError({
      code: "VALIDATION_FAILED",
      detail: "The current password is incorrect.",
      errors: [{ path: "currentPassword", message: "Incorrect password" }],
    });
  }
  checkPassword(input.newPassword, "newPassword", { email: user.email, name: user.fullName });
  const passwordHash = await hashPassword(input.newPassword);
  await runAs(ctx.db, SYSTEM, async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    await revokeAllSessions(tx, user.id, "password_change", ctx.actor.sessionId);
    await recordAudit(tx, ctx.audit, {
      action: "auth.password_change",
      entityType: "user",
      entityId: user.id,
    });
  });
}
