/**
 * Account invitations: a student account an admin created (a converted lead) has no usable
 * password until its owner sets one from the emailed link.
 */
import { eq, sql } from "drizzle-orm";
import { users } from "../../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { type AuditMeta, recordAudit } from "../../../lib/audit";
import { actionLink } from "../../../lib/notifications/links";
import type { Outbox } from "../../../lib/notifications/outbox";
import { ARGON2ID_PARAMS, hashPassword } from "../../../lib/password";
import type { ServiceContext } from "../../../lib/service-context";
import { toBase64 } from "../../../lib/tokens";
import { checkPassword } from "./account";
import { consumeToken, issueToken } from "./one-time-tokens";
import { revokeAllSessions } from "./sessions";

/**
 * A password hash no password matches: current argon2id parameters, a random salt and a random
 * "hash" (finding a preimage is the hash's whole point). verifyPassword parses it and fails
 * after a full verification, so an invited account's login fails like a wrong password, in the
 * same time, without a special case anywhere.
 */
export function unusablePasswordHash(): string {
  const { m, t, p, saltBytes, hashBytes } = ARGON2ID_PARAMS;
  const salt = toBase64(crypto.getRandomValues(new Uint8Array(saltBytes)));
  const hash = toBase64(crypto.getRandomValues(new Uint8Array(hashBytes)));
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${salt}$${hash}`;
}

/**
 * Issues the invitation token and queues its email in `tx` (which must be `system`: one-time
 * tokens are not the admin's to write). The link is sealed in the outbox row, never stored.
 */
export async function queueAccountInvitation(
  tx: Transaction,
  deps: { outbox: Outbox; appBaseUrl: string },
  invitee: { userId: string; email: string; name: string; contactId: string | null },
) {
  const token = await issueToken(tx, invitee.userId, "account_invitation");
  const link = actionLink(deps.appBaseUrl, "/accept-invitation", { token });
  const day = new Date().toISOString().slice(0, 10);
  return deps.outbox.add(tx, {
    channel: "email",
    to: invitee.email,
    template: "account_invitation",
    variables: { name: invitee.name },
    secrets: { link },
    transactional: true,
    userId: invitee.userId,
    contactId: invitee.contactId,
    dedupeKey: `invitation:${invitee.userId}:${day}`,
  });
}

/**
 * Sets the invited account's first password (reset's rules), marks its email verified (the
 * link arrived there) and ends any session, in one `system` transaction with its audit row.
 */
export async function acceptInvitation(ctx: ServiceContext, token: string, password: string) {
  await runAs(ctx.db, SYSTEM, async (tx) => {
    const { userId } = await consumeToken(tx, token, "account_invitation");
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user) throw new Error("token without user");
    checkPassword(password, "password", { email: user.email, name: user.fullName });
    await tx
      .update(users)
      .set({
        passwordHash: await hashPassword(password),
        emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`,
      })
      .where(eq(users.id, userId));
    await revokeAllSessions(tx, userId, "invitation_accepted");
    const meta: AuditMeta = { ...ctx.audit, actorId: userId, actorRole: user.role };
    await recordAudit(tx, meta, {
      action: "auth.invitation_accepted",
      entityType: "user",
      entityId: userId,
    });
  });
}
