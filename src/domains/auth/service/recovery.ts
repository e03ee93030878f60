import { eq, sql } from "drizzle-orm";
import { type User, users } from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { actionLink } from "../../../lib/notifications/links";
import { hashPassword } from "../../../lib/password";
import type { ServiceContext } from "../../../lib/service-context";
import { checkPassword } from "./account";
import { consumeToken, issueToken } from "./one-time-tokens";
import { revokeAllSessions } from "./sessions";

const link = (ctx: ServiceContext, path: string, token: string) =>
  actionLink(ctx.config.APP_BASE_URL, path, { token });

/**
 * Issues a verification token and its email in `tx`: the notification row commits with the
 * token or not at all. The link (a credential) goes in `secrets`, sealed at rest.
 */
export async function issueEmailVerification(tx: Transaction, ctx: ServiceContext, user: User) {
  const token = await issueToken(tx, user.id, "email_verification");
  await ctx.outbox.add(tx, {
    channel: "email",
    to: user.email,
    template: "email_verification",
    variables: { name: user.fullName },
    secrets: { link: link(ctx, "/verify-email", token) },
    transactional: true,
    userId: user.id,
  });
}

/**
 * Always answers the same way and in the same time: the lookup, token and email all happen
 * after the response, so neither the answer nor its timing reveals whether the account exists.
 * The request's own hand-over to the Queue has run by then, so this one flushes after its commit.
 */
export async function forgotPassword(ctx: ServiceContext, email: string): Promise<void> {
  ctx.detached(async (db) => {
    const queued = await runAs(db, SYSTEM, async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.email, email)).limit(1);
      if (user?.status !== "active") return false;
      const token = await issueToken(tx, user.id, "password_reset");
      await recordAudit(
        tx,
        { ...ctx.audit, actorId: user.id, actorRole: user.role },
        { action: "auth.password_reset_requested", entityType: "user", entityId: user.id },
      );
      await ctx.outbox.add(tx, {
        channel: "email",
        to: user.email,
        template: "password_reset",
        variables: { name: user.fullName },
        secrets: { link: link(ctx, "/reset-password", token) },
        transactional: true,
        userId: user.id,
      });
      return true;
    });
    if (queued) await ctx.outbox.flush(ctx.http);
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
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user || user.emailVerifiedAt) return;
    await issueEmailVerification(tx, ctx, user);
  });
}
