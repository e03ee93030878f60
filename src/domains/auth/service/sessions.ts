import { and, eq, isNull, sql } from "drizzle-orm";
import { refreshTokens, sessions, type User, users } from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { unauthenticated } from "../../../lib/errors";
import { signAccessToken } from "../../../lib/jwt";
import type { ServiceContext } from "../../../lib/service-context";
import { generateOpaqueToken, hashToken } from "../../../lib/tokens";
import type { TokenPair } from "../schemas";

const DAY_MS = 86_400_000;

async function accessTokenFor(ctx: ServiceContext, user: User, sessionId: string) {
  return signAccessToken(
    { sub: user.id, role: user.role, sid: sessionId, ver: user.tokenVersion },
    {
      secret: ctx.config.JWT_SECRET,
      issuer: ctx.config.JWT_ISSUER,
      audience: ctx.config.JWT_AUDIENCE,
      ttlSeconds: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
    },
  );
}

async function newRefreshToken(
  tx: Transaction,
  ctx: ServiceContext,
  user: User,
  sessionId: string,
) {
  const token = generateOpaqueToken(32);
  await tx.insert(refreshTokens).values({
    sessionId,
    userId: user.id,
    tokenHash: await hashToken(token),
    expiresAt: new Date(Date.now() + ctx.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS),
  });
  return token;
}

/** Starts a session (a refresh-token family) for `user` inside the caller's transaction. */
export async function startSession(
  tx: Transaction,
  ctx: ServiceContext,
  user: User,
): Promise<TokenPair> {
  const [session] = await tx
    .insert(sessions)
    .values({
      userId: user.id,
      expiresAt: new Date(Date.now() + ctx.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS),
      userAgent: ctx.audit.userAgent?.slice(0, 512) ?? null,
      ip: ctx.audit.ip,
    })
    .returning({ id: sessions.id });
  if (!session) throw new Error("session insert returned nothing");
  return {
    tokenType: "Bearer",
    accessToken: await accessTokenFor(ctx, user, session.id),
    expiresIn: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
    refreshToken: await newRefreshToken(tx, ctx, user, session.id),
  };
}

type RefreshOutcome = { ok: true; pair: TokenPair } | { ok: false; reused: boolean };

/**
 * How long the token just rotated away still works. Two tabs refreshing at once, or a retry
 * after a response lost on a flaky mobile link, present it again a moment later: they get a
 * fresh pair of the same session instead of being logged out.
 */
export const REFRESH_REUSE_GRACE_SECONDS = 30;

/**
 * Rotates a refresh token. A token that was already rotated is being replayed (stolen, or a
 * client bug): its whole family is revoked, and the legitimate holder must sign in again,
 * except for the immediately previous token within the grace window (see above).
 */
export async function refreshSession(ctx: ServiceContext, token: string): Promise<TokenPair> {
  const tokenHash = await hashToken(token);
  // An unknown token costs this one statement, not a transaction (migration 0014).
  const lookup = await ctx.db.execute<{ known: boolean }>(
    sql`select refresh_token_known(${tokenHash}) as known`,
  );
  if (!lookup.rows[0]?.known) throw unauthenticated("The refresh token is invalid or expired.");
  const outcome = await runAs<RefreshOutcome>(ctx.db, SYSTEM, async (tx) => {
    const [found] = await tx
      .select({
        token: refreshTokens,
        session: sessions,
        user: users,
        // The database's clock decides, as it stamped used_at. "Immediately previous": no
        // token of the session was rotated after this one.
        inGrace: sql<boolean>`${refreshTokens.usedAt} > now() - make_interval(secs => ${REFRESH_REUSE_GRACE_SECONDS})
          and not exists (select 1 from refresh_tokens later
            where later.session_id = ${refreshTokens.sessionId}
              and later.used_at > ${refreshTokens.usedAt})`,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for("update", { of: [refreshTokens, sessions] })
      .limit(1);
    if (!found) return { ok: false, reused: false };
    const { token: row, session, user } = found;
    const meta = { ...ctx.audit, actorId: user.id, actorRole: user.role };
    const now = Date.now();
    const live =
      session.revokedAt === null &&
      session.expiresAt.getTime() > now &&
      row.expiresAt.getTime() > now &&
      user.status === "active";
    if (row.usedAt !== null && found.inGrace && live) {
      // A concurrent or retried refresh: a fresh pair of the same session.
      return { ok: true, pair: await rotatedPair(tx, ctx, user, session.id) };
    }
    if (row.usedAt !== null) {
      if (session.revokedAt === null) {
        await tx
          .update(sessions)
          .set({ revokedAt: sql`now()`, revokedReason: "refresh_token_reuse" })
          .where(eq(sessions.id, session.id));
        await recordAudit(tx, meta, {
          action: "session.reuse_detected",
          entityType: "session",
          entityId: session.id,
          after: { revokedReason: "refresh_token_reuse" },
        });
      }
      return { ok: false, reused: true };
    }
    if (!live) return { ok: false, reused: false };
    await tx.update(refreshTokens).set({ usedAt: sql`now()` }).where(eq(refreshTokens.id, row.id));
    return { ok: true, pair: await rotatedPair(tx, ctx, user, session.id) };
  });
  if (!outcome.ok) {
    throw unauthenticated(
      outcome.reused
        ? "This refresh token was already used; the session has been ended. Sign in again."
        : "The refresh token is invalid or expired.",
    );
  }
  return outcome.pair;
}

async function rotatedPair(
  tx: Transaction,
  ctx: ServiceContext,
  user: User,
  sessionId: string,
): Promise<TokenPair> {
  await tx.update(sessions).set({ lastUsedAt: sql`now()` }).where(eq(sessions.id, sessionId));
  return {
    tokenType: "Bearer",
    accessToken: await accessTokenFor(ctx, user, sessionId),
    expiresIn: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
    refreshToken: await newRefreshToken(tx, ctx, user, sessionId),
  };
}

/** Ends the session a refresh token belongs to. Unknown tokens are ignored (idempotent). */
export async function logout(ctx: ServiceContext, token: string): Promise<void> {
  const tokenHash = await hashToken(token);
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const [found] = await tx
      .select({
        sessionId: refreshTokens.sessionId,
        userId: refreshTokens.userId,
        role: users.role,
      })
      .from(refreshTokens)
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    if (!found) return;
    const ended = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: "logout" })
      .where(and(eq(sessions.id, found.sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (ended.length === 0) return;
    await recordAudit(
      tx,
      { ...ctx.audit, actorId: found.userId, actorRole: found.role },
      { action: "auth.logout", entityType: "session", entityId: found.sessionId },
    );
  });
}

/**
 * Revokes every session of a user and bumps the token version (live access tokens die).
 * Lock order: the user row, then its sessions, as every account change takes them (a password
 * change updates the user first); the opposite order deadlocked against it.
 */
export async function revokeAllSessions(
  tx: Transaction,
  userId: string,
  reason: string,
  exceptSessionId?: string | null,
) {
  await tx
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
    .where(eq(users.id, userId));
  await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? sql`${sessions.id} <> ${exceptSessionId}` : undefined,
      ),
    );
}

export async function logoutAll(ctx: ServiceContext): Promise<void> {
  const userId = ctx.actor.userId;
  if (!userId) throw unauthenticated();
  await runAs(ctx.db, SYSTEM, async (tx) => {
    await revokeAllSessions(tx, userId, "logout_all");
    await recordAudit(tx, ctx.audit, {
      action: "auth.logout_all",
      entityType: "user",
      entityId: userId,
    });
  });
}
