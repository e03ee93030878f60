/**
 * The inbox's one way to the contact behind an address. MERGE NOTE: the leads branch exports
 * `findOrCreateContact` from src/lib/contacts; once that is on main this file should become a
 * call to it (same contract: one contact per email and per E.164 phone, created as a new lead).
 */
import { eq } from "drizzle-orm";
import { type Channel, contactActivities, contacts } from "../../../db/schema";
import type { Transaction } from "../../../db/transaction";

export interface ContactRef {
  id: string;
  name: string;
  created: boolean;
}

/**
 * The contact whose phone (WhatsApp, SMS) or email is `address`; someone unknown writing in
 * becomes a new lead whose source is the channel. Safe under concurrency: the unique index on
 * the address decides, and the loser reads the winner's row.
 */
export async function findOrCreateContact(
  tx: Transaction,
  input: { channel: Channel; address: string; name?: string },
): Promise<ContactRef> {
  const column = input.channel === "email" ? contacts.email : contacts.phone;
  const existing = async () =>
    (
      await tx
        .select({ id: contacts.id, name: contacts.name })
        .from(contacts)
        .where(eq(column, input.address))
        .limit(1)
    )[0];
  const found = await existing();
  if (found) return { ...found, created: false };
  const name = input.name?.trim().slice(0, 200) || input.address;
  const [inserted] = await tx
    .insert(contacts)
    .values({
      name,
      ...(input.channel === "email" ? { email: input.address } : { phone: input.address }),
      source: input.channel,
      leadStatus: "new",
    })
    .onConflictDoNothing()
    .returning({ id: contacts.id, name: contacts.name });
  if (!inserted) {
    const raced = await existing();
    if (!raced) throw new Error("contact upsert found no row");
    return { ...raced, created: false };
  }
  await tx.insert(contactActivities).values({
    contactId: inserted.id,
    kind: "lead.created",
    data: { source: input.channel, via: "inbound_message" },
  });
  return { ...inserted, created: true };
}
