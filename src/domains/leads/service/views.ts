import { and, eq, isNotNull } from "drizzle-orm";
import { type Contact, contacts } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import type { Lead } from "../schemas";

const iso = (d: Date | string) => new Date(d).toISOString();

export function toLead(c: Contact): Lead {
  if (!c.leadStatus) throw new Error("toLead: the contact is not a lead");
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    phone: c.phone,
    status: c.leadStatus,
    lostReason: c.lostReason,
    source: c.source,
    courseInterest: c.courseInterest,
    utm: c.utm,
    assigneeId: c.assigneeId,
    userId: c.userId,
    convertedAt: c.convertedAt ? iso(c.convertedAt) : null,
    lastActivityAt: iso(c.lastActivityAt),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

/** The lead, locked for the rest of the transaction; a contact that is not a lead is 404. */
export async function lockLead(tx: Transaction, id: string): Promise<Contact> {
  const [row] = await tx
    .select()
    .from(contacts)
    .where(and(eq(contacts.id, id), isNotNull(contacts.leadStatus)))
    .for("update");
  if (!row) throw notFound("The lead was not found.");
  return row;
}
