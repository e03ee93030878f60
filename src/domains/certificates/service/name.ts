import { eq, sql } from "drizzle-orm";
import { users } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, unauthenticated } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";

/**
 * `PUT /v1/me/certificate-name`: the name certificates print, once (users_certificate_name_guard,
 * migration 0028, holds every writer to it): later certificates print it; issued ones keep the
 * name they were issued with.
 */
export async function setCertificateName(
  ctx: ServiceContext,
  name: string,
): Promise<{ name: string; setAt: string }> {
  const userId = ctx.actor.userId;
  if (!userId) throw unauthenticated();
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const [before] = await tx
      .select({ name: users.certificateName, setAt: users.certificateNameSetAt })
      .from(users)
      .where(eq(users.id, userId))
      .for("update");
    if (!before) throw unauthenticated();
    if (before.setAt) {
      throw new AppError({
        code: "CONFLICT",
        detail: "Your certificate name was set already. Ask support to correct it.",
      });
    }
    const [after] = await tx
      .update(users)
      .set({ certificateName: name, certificateNameSetAt: sql`now()` })
      .where(eq(users.id, userId))
      .returning({ name: users.certificateName, setAt: users.certificateNameSetAt });
    if (!after?.name || !after.setAt) throw unauthenticated();
    await recordAudit(tx, ctx.audit, {
      action: "user.set_certificate_name",
      entityType: "user",
      entityId: userId,
      before: { certificateName: before.name },
      after: { certificateName: after.name },
    });
    return { name: after.name, setAt: after.setAt.toISOString() };
  });
}
