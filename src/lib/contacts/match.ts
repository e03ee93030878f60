/**
 * One contact per person: the lead form, the import and the inbox all find people here.
 *
 * A submission matches an existing contact by email or phone, or a student (users.email,
 * users.phone) whose contact is then created or linked. Concurrent submissions of one person are
 * serialised on transaction advisory locks of the normalised addresses (both, in sorted order);
 * the unique indexes on contacts.email, .phone and .user_id are the backstop.
 *
 * When the email belongs to contact A and the phone to contact B, the submission merges into A
 * (an email is one person's; a phone is often a family's), both get a `contact_conflict`
 * activity, and B keeps its phone.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import {
  type Contact,
  type ContactSource,
  contactActivities,
  contacts,
  type LeadStatus,
  users,
} from "../../db/schema";
import type { Transaction } from "../../db/transaction";
import { type AuditMeta, recordAudit } from "../audit";
import { validationFailed } from "../errors";
import { normalizeContactEmail, normalizeContactPhone } from "./normalize";

export interface ContactDetails {
  name: string;
  /** Raw or normalised; trimmed and lower-cased here. */
  email?: string | null;
  /** Raw or E.164; numbers without a country code are Indian. */
  phone?: string | null;
  /** Where a new contact came from (kept from the first time). */
  source: ContactSource;
  courseInterest?: string | null;
  /** UTM fields: kept from the first submission that had any. */
  utm?: Record<string, string>;
  /**
   * Make (or keep) the contact a lead: a new contact or a student-only one becomes `new`, a
   * `lost` lead reopens as `new`; contacted, qualified and converted leads stay as they are.
   */
  lead?: boolean;
  /** The activity recorded on the contact (default `contact_created` / `contact_matched`). */
  activity?: { kind: string; data?: Record<string, unknown> };
}

export type MatchedBy = "email" | "phone" | "student_email" | "student_phone" | "student";

export interface ContactMatch {
  contact: Contact;
  created: boolean;
  matchedBy: MatchedBy[];
  /** The contact whose phone (or email) the submission also named, left with it. */
  conflict: { contactId: string; field: "phone" | "email" } | null;
  /** Submitted addresses the contact did not take (it had another, or someone else has it). */
  unused: { email?: string; phone?: string };
  leadStatusBefore: LeadStatus | null;
  activityId: number;
}

/** Normalises both addresses; a bad one → 400 naming its field. One of them is required. */
export function contactAddresses(input: { email?: string | null; phone?: string | null }) {
  const email = input.email ? normalizeContactEmail(input.email) : null;
  if (input.email && !email) {
    throw validationFailed([{ path: "email", message: "Must be a valid email address" }]);
  }
  const phone = input.phone ? normalizeContactPhone(input.phone) : null;
  if (input.phone && !phone) {
    throw validationFailed([
      {
        path: "phone",
        message: "Must be a valid phone number (+<country><number>, or an Indian number)",
      },
    ]);
  }
  if (!email && !phone) {
    throw validationFailed([{ path: "email", message: "Give an email address or a phone number" }]);
  }
  return { email, phone };
}

/**
 * Waits for other transactions working on the same addresses (email and phone, sorted, so two
 * submissions naming both never wait on each other crosswise). Held until commit.
 */
export async function lockContactAddresses(
  tx: Transaction,
  addresses: { email: string | null; phone: string | null },
) {
  const keys = [
    addresses.email ? `contact:email:${addresses.email}` : null,
    addresses.phone ? `contact:phone:${addresses.phone}` : null,
  ]
    .filter((k): k is string => k !== null)
    .sort();
  for (const key of keys) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  }
}

export interface FindOrCreateOptions {
  /**
   * false: the caller serialises otherwise (the import holds thousands of rows in one
   * transaction, more advisory locks than Postgres' lock table takes). Concurrent creations
   * still meet on the unique indexes (ON CONFLICT, then a fresh look).
   */
  lock?: boolean;
}

/**
 * Finds the person's contact or creates it, in the caller's transaction (which must be allowed
 * to write contacts: system or an admin), recording one activity and one audit row. Throws a
 * 400 for an invalid email or phone (see `contactAddresses`).
 */
export async function findOrCreateContact(
  tx: Transaction,
  input: ContactDetails,
  audit: AuditMeta,
  opts: FindOrCreateOptions = {},
): Promise<ContactMatch> {
  const addresses = contactAddresses(input);
  if (opts.lock !== false) await lockContactAddresses(tx, addresses);
  // A contact inserted meanwhile without the locks (a lost ON CONFLICT race): look again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await matchOrInsert(tx, input, addresses, audit);
    if (found) return found;
  }
  throw new Error("contact matching did not settle");
}

async function contactWhere(tx: Transaction, where: ReturnType<typeof eq>) {
  const [row] = await tx.select().from(contacts).where(where).limit(1);
  return row ?? null;
}

async function matchOrInsert(
  tx: Transaction,
  input: ContactDetails,
  { email, phone }: { email: string | null; phone: string | null },
  audit: AuditMeta,
): Promise<ContactMatch | null> {
  const byEmail = email ? await contactWhere(tx, eq(contacts.email, email)) : null;
  const byPhone = phone ? await contactWhere(tx, eq(contacts.phone, phone)) : null;
  const matchedBy: MatchedBy[] = [];
  if (byEmail) matchedBy.push("email");
  if (byPhone) matchedBy.push("phone");
  let target = byEmail ?? byPhone;
  const conflict =
    byEmail && byPhone && byEmail.id !== byPhone.id
      ? { contactId: byPhone.id, field: "phone" as const }
      : null;

  // A student with these addresses: their contact, or one to link (never a second one).
  let linkUser: string | null = null;
  if (!target?.userId) {
    const student = await findStudent(tx, email, phone);
    if (student) {
      const own = await contactWhere(tx, eq(contacts.userId, student.id));
      if (!own) {
        linkUser = student.id;
        matchedBy.push(student.by);
      } else if (!target) {
        target = own;
        matchedBy.push("student");
      }
    }
  }

  const lead = input.lead ?? false;
  const utm = input.utm && Object.keys(input.utm).length > 0 ? input.utm : null;
  const name = input.name.trim() || email || phone || "Unknown";

  if (!target) {
    const [created] = await tx
      .insert(contacts)
      .values({
        name,
        email,
        phone,
        userId: linkUser,
        leadStatus: lead ? "new" : null,
        source: input.source,
        courseInterest: input.courseInterest ?? null,
        utm: utm ?? {},
      })
      .onConflictDoNothing()
      .returning();
    if (!created) return null;
    const activityId = await record(tx, audit, created, input, {
      created: true,
      matchedBy,
      before: null,
      after: { name, email, phone, userId: linkUser, leadStatus: created.leadStatus },
    });
    return {
      contact: created,
      created: true,
      matchedBy,
      conflict: null,
      unused: {},
      leadStatusBefore: null,
      activityId,
    };
  }

  const patch: Partial<typeof contacts.$inferInsert> = {};
  const unused: ContactMatch["unused"] = {};
  if (email && target.email !== email) {
    if (!target.email && !byEmail) patch.email = email;
    else unused.email = email;
  }
  if (phone && target.phone !== phone) {
    if (!target.phone && !byPhone) patch.phone = phone;
    else unused.phone = phone;
  }
  if (linkUser && !target.userId) patch.userId = linkUser;
  if (lead && (target.leadStatus === null || target.leadStatus === "lost")) {
    patch.leadStatus = "new";
    patch.lostReason = null;
  }
  if (input.courseInterest && input.courseInterest !== target.courseInterest) {
    patch.courseInterest = input.courseInterest;
  }
  if (utm && Object.keys(target.utm).length === 0) patch.utm = utm;

  const before = Object.fromEntries(
    Object.keys(patch).map((k) => [k, target[k as keyof Contact] ?? null]),
  );
  const [updated] = await tx
    .update(contacts)
    .set({ ...patch, lastActivityAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(contacts.id, target.id))
    .returning();
  if (!updated) return null;
  const activityId = await record(tx, audit, updated, input, {
    created: false,
    matchedBy,
    before,
    after: patch,
    conflict,
    unused,
    reopened: target.leadStatus === "lost" && patch.leadStatus === "new",
  });
  if (conflict) {
    await tx.insert(contactActivities).values({
      contactId: conflict.contactId,
      kind: "contact_conflict",
      actorId: audit.actorId,
      data: {
        field: conflict.field,
        value: phone,
        mergedInto: updated.id,
        note: "Another contact's submission named this contact's phone; it was left here",
      },
    });
  }
  return {
    contact: updated,
    created: false,
    matchedBy,
    conflict,
    unused,
    leadStatusBefore: target.leadStatus,
    activityId,
  };
}

/** The student (by email first, then the oldest with the phone) these addresses name. */
/**
 * The student these addresses name. Staff accounts are never a lead's student. A phone alone
 * (a WhatsApp or SMS message, a form without email) links by phone; with an email given, only
 * that email links: someone typing their own email and a student's phone must not be joined to
 * the student's account (replies to the contact would reach them).
 */
async function findStudent(tx: Transaction, email: string | null, phone: string | null) {
  if (email) {
    const [u] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.email, email), eq(users.role, "student")))
      .limit(1);
    return u ? { id: u.id, by: "student_email" as const } : null;
  }
  if (phone) {
    const [u] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.phone, phone), eq(users.role, "student")))
      .orderBy(asc(users.createdAt))
      .limit(1);
    if (u) return { id: u.id, by: "student_phone" as const };
  }
  return null;
}

async function record(
  tx: Transaction,
  audit: AuditMeta,
  contact: Contact,
  input: ContactDetails,
  change: {
    created: boolean;
    matchedBy: MatchedBy[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown>;
    conflict?: ContactMatch["conflict"];
    unused?: ContactMatch["unused"];
    reopened?: boolean;
  },
): Promise<number> {
  const kind = input.activity?.kind ?? (change.created ? "contact_created" : "contact_matched");
  const [activity] = await tx
    .insert(contactActivities)
    .values({
      contactId: contact.id,
      kind,
      actorId: audit.actorId,
      data: {
        ...input.activity?.data,
        created: change.created,
        matchedBy: change.matchedBy,
        ...(Object.keys(change.after).length > 0 ? { changed: change.after } : {}),
        ...(change.conflict ? { conflict: change.conflict } : {}),
        ...(change.unused && Object.keys(change.unused).length > 0
          ? { unused: change.unused }
          : {}),
        ...(change.reopened ? { reopened: true } : {}),
      },
    })
    .returning({ id: contactActivities.id });
  if (!activity) throw new Error("activity insert returned nothing");
  await recordAudit(tx, audit, {
    action: change.created ? "contact.created" : "contact.matched",
    entityType: "contact",
    entityId: contact.id,
    before: change.before,
    after: { ...change.after, activity: kind },
  });
  return activity.id;
}
