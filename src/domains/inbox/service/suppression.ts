/**
 * The inbox asks the suppression list itself before it asks the outbox. WHY: suppression_of()
 * (migration 0030) is SECURITY DEFINER owned by app_owner, but `suppressions` has FORCE ROW
 * LEVEL SECURITY and policies only for app_runtime, so inside the function the owner sees no
 * row and every address passes: `Outbox.add` never answers `suppressed`. Admins may read the
 * list (suppressions_admin_select), so this check works today; once a migration gives the
 * function its own policy (as refresh_token_known does, migration 0014), it is redundant.
 */
import { and, eq } from "drizzle-orm";
import { type Channel, notifications, suppressions } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import type { NotificationRequest } from "../../../lib/notifications/outbox";

/** Why `to` may not get this kind of message on `channel`, or null (as suppression_of). */
export async function suppressionReason(
  tx: Transaction,
  channel: Channel,
  to: string,
  transactional: boolean,
): Promise<string | null> {
  const [row] = await tx
    .select({ reason: suppressions.reason })
    .from(suppressions)
    .where(
      and(
        eq(suppressions.channel, channel),
        eq(suppressions.address, to),
        transactional ? eq(suppressions.scope, "all") : undefined,
      ),
    )
    .limit(1);
  return row?.reason ?? null;
}

/** The refusal on record, as `Outbox.add` writes it for a suppressed address (nothing queued). */
export async function recordRefusal(
  tx: Transaction,
  req: NotificationRequest,
  reason: string,
): Promise<{ id: string; status: "suppressed"; reason: string }> {
  const [row] = await tx
    .insert(notifications)
    .values({
      channel: req.channel,
      toAddress: req.to,
      template: req.template,
      variables: req.variables,
      transactional: req.transactional,
      status: "suppressed",
      lastError: `suppressed: ${reason}`,
      contactId: req.contactId ?? null,
      userId: req.userId ?? null,
      messageId: req.messageId ?? null,
    })
    .returning({ id: notifications.id });
  if (!row) throw new Error("notification insert returned no row");
  return { id: row.id, status: "suppressed", reason };
}
