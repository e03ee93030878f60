import { eq, sql } from "drizzle-orm";
import { type User, users } from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { actionLink, emailVerificationEmail, passwordResetEmail } from "../../../lib/email";
import { hashPassword } from "../../../lib/password";
import type { ServiceContext } from "../../../lib/service-context";
import { checkPassword } from "./account";
import { consumeToken, issueToken } from "./one-time-tokens";
import { revokeAllSessions } from "./sessions";

const link = (ctx: ServiceContext, path: string, token: string) =>
  actionLink(ctx.config.APP_BASE_URL, path, { token });

/** Creates a verification token in `tx`; call the returned `send` after commit (waitUntil). */
export async function issueEmailVerification(tx: Transaction, ctx: ServiceContext, user: User) {
  const token = await issueToken(tx, user.id, "email_verification");
  const email = emailVerificationEmail({
    name: user.fullName,
    link: link(ctx, "/verify-email", token),
  });
  return { send: () => ctx.sendEmail({ to: user.email, ...email }) };
}

/**
 * Always answers the same way and in the same time: the lookup, token and email all happen
 * after the response, so neither the answer nor its timing reveals whether the account exists.
 */
export async function forgotPassword(ctx: ServiceContext, email: string): Promise<void> {
  ctx.detached(async (db) => {
    const message = await runAs(db, SYSTEM, async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.email, email)).limit(1);
      if (user?.status !== "active") return null;
      const token = await issueToken(tx, user.id, "password_reset");
      await recordAudit(
        tx,
        { ...ctx.audit, actorId: user.id, actorRole: user.role },
        { action: "auth.password_reset_requested", entityType: "user", entityId: user.id },
      );
      const rendered = passwordResetEmail({
        name: user.fullName,
        link: link(ctx, "/reset-password", token),
      });
      return { to: user.email, ...rendered };
    });
    if (message) await ctx.sendEmail(message);
  });
}

export async function resetPassword(ctx: ServiceContext, token: string, password: string) {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const { userId } = await consumeToken(tx, token, "password_reset");
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user) throw new Error("token without user");
    checkPassword(password, "password", { email: user.email, name: user.fullName });
    await tx
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(eq(users.id, userId));
    await revokeAllSessions(tx, userId, "password_reset");
    await recordAudit(
      tx,
      { ...ctx.audit, actorId: userId, actorRole: user.role },
      {
        action: "auth.password_reset",
        entityType: "user",
        entityId: userId,
      },
    );
  });
}

export async function verifyEmail(ctx: ServiceContext, token: string) {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const { userId } = await consumeToken(tx, token, "email_verification");
    const [user] = await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(eq(users.id, userId))
      .returning();
    await recordAudit(
      tx,
      { ...ctx.audit, actorId: userId, actorRole: user?.role ?? null },
      {
        action: "auth.email_verified",
        entityType: "user",
        entityId: userId,
      },
    );
  });
}

/** Sends a fresh verification link to the signed-in user, unless already verified. */
export async function resendVerification(ctx: ServiceContext) {
  const userId = ctx.actor.userId;
  if (!userId) return;
  const verification = await runAs(ctx.db, SYSTEM, async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user || user.emailVerifiedAt) return null;
    return issueEmailVerification(tx, ctx, user);
  });
  if (verification) ctx.waitUntil(verification.send());
}
