import { eq, sql } from "drizzle-orm";
import { type Contact, contactActivities, contacts } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { assertAssignableAdmin } from "../../admin/public";
import type { Lead, UpdateLeadBody } from "../schemas";
import { canMove, NEXT_STATUSES } from "./pipeline";
import { lockLead, toLead } from "./views";

/**
 * Sets a lead's status and/or assignee, as the admin (RLS), with one activity per kind of
 * change and one audit row, in one transaction. Asking for the status it already has is no
 * change (200, nothing recorded); an illegal move is 409 naming the allowed next states.
 */
export async function updateLead(
  ctx: ServiceContext,
  id: string,
  input: UpdateLeadBody,
): Promise<Lead> {
  if (input.status === undefined && input.assigneeId === undefined) {
    throw validationFailed([{ path: "status", message: "Give a status or an assigneeId" }]);
  }
  if (input.lostReason !== undefined && input.status !== "lost") {
    throw validationFailed([
      { path: "lostReason", message: "A reason goes with status lost only" },
    ]);
  }
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const lead = await lockLead(tx, id);
    const from = lead.leadStatus ?? "new";
    const patch: Partial<typeof contacts.$inferInsert> = {};
    const activities: { kind: string; data: Record<string, unknown> }[] = [];

    if (input.status !== undefined && input.status !== from) {
      if (!canMove(from, input.status)) {
        throw new AppError({
          code: "CONFLICT",
          detail:
            input.status === "converted"
              ? "A lead is converted through POST /v1/admin/leads/{id}/convert."
              : `A ${from} lead cannot move to ${input.status}.`,
          extensions: { currentStatus: from, allowedNextStatuses: NEXT_STATUSES[from] },
        });
      }
      if (input.status === "lost" && !input.lostReason) {
        throw validationFailed([{ path: "lostReason", message: "Say why the lead was lost" }]);
      }
      patch.leadStatus = input.status;
      patch.lostReason = input.status === "lost" ? (input.lostReason ?? null) : null;
      activities.push({
        kind: "status_changed",
        data: {
          from,
          to: input.status,
          ...(input.status === "lost" ? { reason: input.lostReason } : {}),
        },
      });
    }

    if (input.assigneeId !== undefined && input.assigneeId !== lead.assigneeId) {
      if (input.assigneeId !== null) await assertAssignableAdmin(tx, input.assigneeId, "lead");
      patch.assigneeId = input.assigneeId;
      activities.push({
        kind: "assignee_changed",
        data: { from: lead.assigneeId, to: input.assigneeId },
      });
    }

    if (activities.length === 0) return toLead(lead);
    const [updated] = await tx
      .update(contacts)
      .set({ ...patch, lastActivityAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(contacts.id, id))
      .returning();
    if (!updated) throw new Error("lead update returned nothing");
    await tx
      .insert(contactActivities)
      .values(activities.map((a) => ({ ...a, contactId: id, actorId: ctx.actor.userId })));
    await recordAudit(tx, ctx.audit, {
      action: "lead.updated",
      entityType: "contact",
      entityId: id,
      before: pick(lead, Object.keys(patch)),
      after: patch,
    });
    return toLead(updated);
  });
}

const pick = (c: Contact, keys: string[]) =>
  Object.fromEntries(keys.map((k) => [k, c[k as keyof Contact] ?? null]));
