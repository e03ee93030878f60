import { eq } from "drizzle-orm";
import { contactActivities, contacts } from "../../src/db/schema";
import { DEV_TURNSTILE_TOKEN } from "../../src/domains/leads/turnstile";
import type { Harness } from "../support/harness";

/** A fresh Indian mobile number's ten digits (98xxxxxxxx: valid in libphonenumber's metadata). */
export const freshMobile = () => `98${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
export const freshLeadEmail = () => `lead-${crypto.randomUUID().slice(0, 8)}@example.in`;

let n = 0;
/** A client address of its own: the strict policy allows 5 a minute per address. */
export const freshIp = () => {
  n++;
  return `203.0.${(n >> 8) & 0xff}.${n & 0xff}`;
};

export interface LeadBody {
  name?: string;
  email?: string;
  phone?: string;
  turnstileToken?: string;
  [key: string]: unknown;
}

export function postLead(
  h: Harness,
  body: LeadBody,
  opts: { ip?: string; headers?: Record<string, string> } = {},
) {
  return h.post<LeadBody, { status?: string; code?: string; errors?: { path: string }[] }>(
    "/v1/leads",
    { name: "Asha Rao", turnstileToken: DEV_TURNSTILE_TOKEN, ...body },
    { headers: { "CF-Connecting-IP": opts.ip ?? freshIp(), ...opts.headers } },
  );
}

export async function contactByEmail(h: Harness, email: string) {
  const [row] = await h.db.select().from(contacts).where(eq(contacts.email, email));
  return row;
}

export async function contactByPhone(h: Harness, phone: string) {
  const [row] = await h.db.select().from(contacts).where(eq(contacts.phone, phone));
  return row;
}

export function activitiesOf(h: Harness, contactId: string) {
  return h.db
    .select()
    .from(contactActivities)
    .where(eq(contactActivities.contactId, contactId))
    .orderBy(contactActivities.id);
}

/** A lead made through the public form; returns its contact row. */
export async function makeLead(h: Harness, body: LeadBody = {}) {
  const email = body.email ?? freshLeadEmail();
  const res = await postLead(h, { email, ...body });
  if (res.status !== 202) throw new Error(`lead fixture: ${res.status} ${res.text}`);
  const row = await contactByEmail(h, email.trim().toLowerCase());
  if (!row) throw new Error("lead fixture: no contact");
  return row;
}
