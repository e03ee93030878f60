import { and, eq, sql } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { httpFromConfig } from "../db/client";
import { type User, type UserRole, type UserStatus, users } from "../db/schema";
import { runAs, SYSTEM } from "../db/transaction";
import type { AppEnv } from "../lib/context";
import { AppError } from "../lib/errors";
import { verifyAccessToken } from "../lib/jwt";
import {
  analyticsFromConfig,
  identityOf,
  limitRequest,
  setResponseHeaders,
} from "../lib/rate-limit/middleware";

export interface Principal {
  userId: string;
  role: UserRole;
  sessionId: string;
  email: string;
  /** The rest of the user's row as the principal lookup read it, this request (GET /v1/me). */
  profile: Pick<
    User,
    "fullName" | "phone" | "status" | "emailVerifiedAt" | "createdAt" | "lastActiveAt"
  >;
}

/** Activity stamps are written at most this often per user, off the request path. */
const ACTIVITY_INTERVAL_MS = 5 * 60_000;

const unauthenticated = (detail: string) =>
  new AppError({
    code: "UNAUTHENTICATED",
    detail,
    headers: { "WWW-Authenticate": 'Bearer realm="coaching-api"' },
  });

/**
 * Requires a valid access token whose user is active, whose session is live and whose token
 * version is current: logout-all, a password change or a disable take effect on the next
 * request, not at expiry. Role and status come from the database, never from the token alone.
 *
 * The `api` policy is checked before the database: by the verified token's subject, so a denied
 * request costs no round trip, and by address for requests whose token fails verification, so
 * a stream of bad tokens is throttled like anything else.
 */
export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header("Authorization") ?? "";
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header)?.[1];
    const config = c.get("config");
    const verified = token
      ? await verifyAccessToken(token, {
          secret: config.JWT_SECRET,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        })
      : undefined;
    if (!verified?.ok) {
      const byAddress = await limitRequest(c, "api", {
        identity: (ctx) => identityOf(ctx, { key: "ip" }),
        analytics: analyticsFromConfig,
      });
      if (byAddress.denial) return byAddress.denial;
      throw unauthenticated(
        !verified
          ? "Send an access token: Authorization: Bearer <token>."
          : verified.reason === "expired"
            ? "The access token has expired. Refresh it."
            : "The access token is invalid.",
      );
    }
    const { sub, sid, ver } = verified.claims;
    const limited = await limitRequest(c, "api", {
      identity: () => `user:${sub}`,
      analytics: analyticsFromConfig,
    });
    if (limited.denial) return limited.denial;
    // One statement (migrations 0007, 0011): a SECURITY DEFINER function that enters the system
    // context for its own body only and leaves none behind. On the HTTP path: one round trip,
    // no connection, and exact (never cached), so a disable or logout-all holds on the next request.
    const result = await c.get("services").http.execute<{
      id: string;
      email: string;
      role: UserRole;
      status: string;
      token_version: number;
      last_active_at: string | Date | null;
      session_revoked_at: string | Date | null;
      session_expires_at: string | Date;
      full_name: string;
      phone: string | null;
      email_verified_at: string | Date | null;
      created_at: string | Date;
    }>(sql`select * from auth_principal(${sub}, ${sid})`);
    const found = result.rows[0];
    const row = found && {
      id: found.id,
      email: found.email,
      role: found.role,
      status: found.status,
      tokenVersion: found.token_version,
      lastActiveAt: found.last_active_at === null ? null : new Date(found.last_active_at),
      sessionRevokedAt: found.session_revoked_at,
      sessionExpiresAt: new Date(found.session_expires_at),
      fullName: found.full_name,
      phone: found.phone,
      emailVerifiedAt: found.email_verified_at === null ? null : new Date(found.email_verified_at),
      createdAt: new Date(found.created_at),
    };
    if (
      row?.status !== "active" ||
      row.tokenVersion !== ver ||
      row.sessionRevokedAt !== null ||
      row.sessionExpiresAt.getTime() <= Date.now()
    ) {
      throw unauthenticated("The access token is no longer valid. Sign in again.");
    }
    c.set("principal", {
      userId: row.id,
      role: row.role,
      sessionId: sid,
      email: row.email,
      profile: {
        fullName: row.fullName,
        phone: row.phone,
        status: row.status as UserStatus,
        emailVerifiedAt: row.emailVerifiedAt,
        createdAt: row.createdAt,
        lastActiveAt: row.lastActiveAt,
      },
    });
    c.set("userId", row.id);
    if (!row.lastActiveAt || Date.now() - row.lastActiveAt.getTime() > ACTIVITY_INTERVAL_MS) {
      stampActivity(c, row.id);
    }
    await next();
    // The `api` headers, unless a route's own limiter inside (upload, payment) set its own.
    setResponseHeaders(c, limited.headers, { unlessSet: true });
  };
}

/** Requires one of `roles` (after requireAuth); otherwise 403. */
export function requireRole(...roles: UserRole[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = c.get("principal");
    if (!principal) throw unauthenticated("Send an access token: Authorization: Bearer <token>.");
    if (!roles.includes(principal.role)) {
      throw new AppError({ code: "FORBIDDEN", detail: "Your role does not allow this." });
    }
    await next();
  };
}

function stampActivity(c: Parameters<MiddlewareHandler<AppEnv>>[0], userId: string) {
  const config = c.get("config");
  const work = (async () => {
    // One self-contained write: the HTTP path, no connection to open or close.
    try {
      await runAs(httpFromConfig(config), SYSTEM, (q) =>
        q
          .update(users)
          .set({ lastActiveAt: sql`now()` })
          .where(
            and(
              eq(users.id, userId),
              sql`(${users.lastActiveAt} is null or ${users.lastActiveAt} < now() - interval '5 minutes')`,
            ),
          ),
      );
    } catch {
      // Activity is best effort; never fail or log noisily for it.
    }
  })();
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}
