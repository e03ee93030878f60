import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { oneTimeTokens, type TokenPurpose } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import { validationFailed } from "../../../lib/errors";
import { generateOpaqueToken, hashToken } from "../../../lib/tokens";

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  email_verification: 48 * 3_600_000,
  password_reset: 3_600_000,
  admin_request_verification: 24 * 3_600_000,
  // An admin converted a lead: the new student sets a password from the invitation.
  account_invitation: 7 * 24 * 3_600_000,
};

/** Issues a single-use token for `purpose`, voiding the user's earlier unused ones. */
export async function issueToken(
  tx: Transaction,
  userId: string,
  purpose: TokenPurpose,
  subjectId: string | null = null,
): Promise<string> {
  await tx
    .update(oneTimeTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
      ),
    );
  const token = generateOpaqueToken(32);
  await tx.insert(oneTimeTokens).values({
    userId,
    purpose,
    subjectId,
    tokenHash: await hashToken(token),
    expiresAt: new Date(Date.now() + TOKEN_TTL_MS[purpose]),
  });
  return token;
}

/**
 * Consumes a token of exactly this purpose (a reset token cannot verify an email). Unknown,
 * used, expired and wrong-purpose tokens all fail the same way.
 */
export async function consumeToken(tx: Transaction, token: string, purpose: TokenPurpose) {
  const [row] = await tx
    .update(oneTimeTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, await hashToken(token)),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: oneTimeTokens.userId, subjectId: oneTimeTokens.subjectId });
  if (!row) {
    throw validationFailed(
      [{ path: "token", message: "The link is invalid, already used or expired" }],
      "The token is invalid or expired.",
    );
  }
  return row;
}
