import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import { contactActivities, contacts, conversations, messages } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { notFound } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { LeadDetail } from "../schemas";
import { toLead } from "./views";

export const TIMELINE_LIMIT = 100;

const iso = (d: Date | string) => new Date(d).toISOString();

/** The lead with its newest activities and messages (through its conversations), merged. */
export async function getLead(ctx: ServiceContext, id: string): Promise<LeadDetail> {
  const [rows, activities, msgs] = await runAs(ctx.http, ctx.actor, (db) =>
    db.batch([
      db
        .select()
        .from(contacts)
        .where(and(eq(contacts.id, id), isNotNull(contacts.leadStatus))),
      db
        .select()
        .from(contactActivities)
        .where(eq(contactActivities.contactId, id))
        .orderBy(
          sql`${contactActivities.createdAt} desc nulls last`,
          sql`${contactActivities.id} desc nulls last`,
        )
        .limit(TIMELINE_LIMIT + 1),
      db
        .select({
          id: messages.id,
          conversationId: messages.conversationId,
          channel: conversations.channel,
          direction: messages.direction,
          body: messages.body,
          status: messages.status,
          sentBy: messages.sentBy,
          createdAt: messages.createdAt,
        })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(eq(conversations.contactId, id))
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(TIMELINE_LIMIT + 1),
    ]),
  );
  const contact = rows[0];
  if (!contact) throw notFound("The lead was not found.");
  const entries: LeadDetail["timeline"] = [
    ...activities.map((a) => ({
      type: "activity" as const,
      id: String(a.id),
      at: iso(a.createdAt),
      kind: a.kind,
      actorId: a.actorId,
      data: a.data,
    })),
    ...msgs.map((m) => ({
      type: "message" as const,
      id: m.id,
      at: iso(m.createdAt),
      conversationId: m.conversationId,
      channel: m.channel,
      direction: m.direction,
      body: m.body,
      status: m.status,
      sentBy: m.sentBy,
    })),
  ];
  // Newest first; within one instant, activities by id (they are inserted in order).
  entries.sort((a, b) =>
    a.at === b.at
      ? a.type === b.type && a.type === "activity"
        ? Number(b.id) - Number(a.id)
        : 0
      : a.at < b.at
        ? 1
        : -1,
  );
  return {
    ...toLead(contact),
    timeline: entries.slice(0, TIMELINE_LIMIT),
    timelineTruncated: entries.length > TIMELINE_LIMIT,
  };
}
