/**
 * The inbox's way to the contact behind an address that writes in on a new thread: the same
 * matching as the lead form (src/lib/contacts), so a student's number finds the student's
 * contact (linked, not duplicated) and a known lead is the same lead. Someone unknown writing in
 * becomes a new lead whose source is the channel; a student stays a student.
 */
import { eq } from "drizzle-orm";
import { type Channel, contacts } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";
import { JOB_AUDIT } from "../../../lib/audit";
import { findOrCreateContact as matchContact } from "../../../lib/contacts";

export interface ContactRef {
  id: string;
  name: string;
  created: boolean;
}

/** Provider webhooks act as the system: no person is behind the change. */
const WEBHOOK_AUDIT = { ...JOB_AUDIT };

export async function findOrCreateContact(
  tx: Transaction,
  input: { channel: Channel; address: string; name?: string },
): Promise<ContactRef> {
  const match = await matchContact(
    tx,
    {
      name: input.name?.trim().slice(0, 200) || input.address,
      ...(input.channel === "email" ? { email: input.address } : { phone: input.address }),
      source: input.channel,
      lead: false,
      activity: { kind: "contact_wrote_in", data: { channel: input.channel } },
    },
    WEBHOOK_AUDIT,
  );
  const { contact } = match;
  if (match.created && !contact.userId) {
    await tx.update(contacts).set({ leadStatus: "new" }).where(eq(contacts.id, contact.id));
  }
  return { id: contact.id, name: contact.name, created: match.created };
}
