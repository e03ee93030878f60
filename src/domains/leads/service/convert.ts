import { and, eq, ne, sql } from "drizzle-orm";
import { contactActivities, contacts, type User, users } from "../../../db/schema";
import { enterContext, runAs, SYSTEM, type Transaction } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import { AppError, conflict } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import { queueAccountInvitation, unusablePasswordHash } from "../../auth/service/invitation";
import type { ConvertLeadResult } from "../schemas";
import { CONVERTIBLE, NEXT_STATUSES } from "./pipeline";
import { lockLead, toLead } from "./views";

/**
 * Makes the lead a student, in one transaction: links the student account with the lead's email
 * (or the one already linked), or creates one with an unusable password and queues an invitation
 * to set it. A converted lead is final: converting again is 409 (with the account's id), and a
 * retry with the same Idempotency-Key replays the first answer.
 */
export async function convertLead(ctx: ServiceContext, id: string): Promise<ConvertLeadResult> {
  return runAs(ctx.db, ctx.actor, async (tx) => {
    const lead = await lockLead(tx, id);
    const status = lead.leadStatus ?? "new";
    if (status === "converted") {
      throw new AppError({
        code: "CONFLICT",
        detail: "The lead is already converted.",
        extensions: { currentStatus: status, userId: lead.userId },
      });
    }
    if (!CONVERTIBLE.includes(status)) {
      throw new AppError({
        code: "CONFLICT",
        detail: `A ${status} lead cannot be converted; reopen it first.`,
        extensions: { currentStatus: status, allowedNextStatuses: NEXT_STATUSES[status] },
      });
    }
    const email = lead.email;
    if (!email) {
      throw new AppError({
        code: "UNPROCESSABLE",
        detail: "A lead without an email address cannot be converted: add one first.",
        errors: [{ path: "email", message: "The lead has no email address" }],
      });
    }

    let user = await existingUser(tx, lead.userId, email);
    const linkedExistingUser = user !== null;
    let invitationSent = false;
    if (user) {
      if (user.role !== "student") {
        throw conflict("The lead's email address belongs to a staff account.");
      }
      const [other] = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(and(eq(contacts.userId, user.id), ne(contacts.id, lead.id)));
      if (other) throw conflict("That student account belongs to another contact.");
    } else {
      // Accounts and one-time tokens are the system's to write; the admin's context returns.
      await enterContext(tx, SYSTEM);
      user = await createInvitedStudent(tx, { email, name: lead.name, phone: lead.phone });
      await recordAudit(tx, ctx.audit, {
        action: "user.created_from_lead",
        entityType: "user",
        entityId: user.id,
        after: { email, role: "student", contactId: lead.id },
      });
      const queued = await queueAccountInvitation(
        tx,
        { outbox: ctx.outbox, appBaseUrl: ctx.config.APP_BASE_URL },
        { userId: user.id, email, name: lead.name, contactId: lead.id },
      );
      invitationSent = queued.status === "queued";
      await enterContext(tx, ctx.actor);
    }

    const [updated] = await tx
      .update(contacts)
      .set({
        leadStatus: "converted",
        lostReason: null,
        userId: user.id,
        convertedAt: sql`now()`,
        lastActivityAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(contacts.id, lead.id))
      .returning();
    if (!updated) throw new Error("lead update returned nothing");
    await tx.insert(contactActivities).values({
      contactId: lead.id,
      kind: "lead_converted",
      actorId: ctx.actor.userId,
      data: { from: status, userId: user.id, linkedExistingUser, invitationSent },
    });
    await recordAudit(tx, ctx.audit, {
      action: "lead.converted",
      entityType: "contact",
      entityId: lead.id,
      before: { leadStatus: status, userId: lead.userId },
      after: { leadStatus: "converted", userId: user.id, linkedExistingUser, invitationSent },
    });
    const result: ConvertLeadResult = {
      lead: toLead(updated),
      userId: user.id,
      linkedExistingUser,
      invitationSent,
    };
    await ctx.idempotency?.complete(tx, { status: 200, body: result });
    return result;
  });
}

async function existingUser(
  tx: Transaction,
  linkedId: string | null,
  email: string,
): Promise<User | null> {
  const [user] = await tx
    .select()
    .from(users)
    .where(linkedId ? eq(users.id, linkedId) : eq(users.email, email))
    .limit(1);
  return user ?? null;
}

async function createInvitedStudent(
  tx: Transaction,
  input: { email: string; name: string; phone: string | null },
): Promise<User> {
  const [created] = await tx
    .insert(users)
    .values({
      email: input.email,
      fullName: input.name,
      phone: input.phone,
      role: "student",
      status: "active",
      passwordHash: unusablePasswordHash(),
    })
    .onConflictDoNothing({ target: users.email })
    .returning();
  if (created) return created;
  // Signed up a moment ago, after our look: theirs is the account.
  throw conflict("An account with this email was just created; convert again to link it.");
}
