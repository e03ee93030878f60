import { and, eq, gte, isNotNull, lt, or, type SQL, sql } from "drizzle-orm";
import { contacts } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { normalizeContactPhone } from "../../../lib/contacts";
import { validationFailed } from "../../../lib/errors";
import { keysetPage, listScope } from "../../../lib/pagination";
import type { ServiceContext } from "../../../lib/service-context";
import type { LeadListQuery } from "../schemas";
import { toLead } from "./views";

const IST_OFFSET_MS = 330 * 60_000;
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A plain date is midnight in India (+05:30, no daylight saving); an instant is itself. */
const boundary = (value: string) =>
  PLAIN_DATE.test(value)
    ? new Date(Date.parse(`${value}T00:00:00Z`) - IST_OFFSET_MS)
    : new Date(value);

/** Same expression as contacts_search_trgm_idx; a phone in any spelling also matches exactly. */
function search(q: string): SQL {
  const like = `%${q.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
  const text = sql`lower(${contacts.name} || ' ' || coalesce(${contacts.email}, '') || ' ' || coalesce(${contacts.phone}, '')) like ${like}`;
  const phone = /\d{6}/.test(q.replace(/\D/g, "")) ? normalizeContactPhone(q) : null;
  return phone ? (or(text, eq(contacts.phone, phone)) as SQL) : text;
}

/** Leads newest first (contacts_leads_created_idx, or the status / assignee index). */
export async function listLeads(ctx: ServiceContext, input: LeadListQuery) {
  const from = input.from ? boundary(input.from) : undefined;
  const to = input.to ? boundary(input.to) : undefined;
  if (from && to && from >= to) {
    throw validationFailed([{ path: "to", message: "`to` must be later than `from`." }]);
  }
  const q = input.q?.trim() || undefined;
  const filter = and(
    isNotNull(contacts.leadStatus),
    input.status ? eq(contacts.leadStatus, input.status) : undefined,
    input.source ? eq(contacts.source, input.source) : undefined,
    input.assignee ? eq(contacts.assigneeId, input.assignee) : undefined,
    from ? gte(contacts.createdAt, from) : undefined,
    to ? lt(contacts.createdAt, to) : undefined,
    q ? search(q) : undefined,
  );
  // The admin's own context: contacts_admin_select lets them read the CRM.
  const page = await runAs(ctx.http, ctx.actor, (db) =>
    keysetPage({
      limit: input.limit,
      cursor: input.cursor,
      secret: ctx.config.CURSOR_SECRET,
      scope: listScope("GET /v1/admin/leads", {
        status: input.status,
        source: input.source,
        assignee: input.assignee,
        q,
        from: input.from,
        to: input.to,
      }),
      order: { by: [contacts.createdAt], id: contacts.id },
      query: ({ where, orderBy, limit, cursorKey }) =>
        db
          .select({ contact: contacts, cursorKey })
          .from(contacts)
          .where(and(filter, where))
          .orderBy(...orderBy)
          .limit(limit),
    }),
  );
  return { ...page, data: page.data.map((r) => toLead(r.contact)) };
}
