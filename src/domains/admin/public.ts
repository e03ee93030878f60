import { and, eq, inArray } from "drizzle-orm";
import { users } from "../../db/schema";
import type { Transaction } from "../../db/transaction";
import { AppError } from "../../lib/errors";

/**
 * What other domains may call: the check that a lead, ticket or thread is given to someone who
 * can work on it, an active admin or super admin; else 422 on `assigneeId`.
 */
export async function assertAssignableAdmin(tx: Transaction, userId: string, what: string) {
  const [user] = await tx
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.id, userId),
        eq(users.status, "active"),
        inArray(users.role, ["admin", "super_admin"]),
      ),
    );
  if (!user) {
    throw new AppError({
      code: "UNPROCESSABLE",
      detail: `A ${what} can be assigned only to an active admin or super admin.`,
      errors: [{ path: "assigneeId", message: "Not an active admin or super admin" }],
    });
  }
}
