/**
 * Full-text search over message bodies (messages.search, a generated English tsvector with a
 * GIN index): `websearch_to_tsquery('english', q)`, ranked by ts_rank, best first, at most 50
 * (the best matches, not a pageable list: a search is refined, not paged).
 *
 * Highlights: bodies are untrusted and the highlight is shown in an admin's browser, so
 * ts_headline marks matches with two private-use characters (removed from the body first, so a
 * message cannot forge them); the text is then HTML-escaped and only the markers become
 * <mark>…</mark>. Nothing else in a highlight is markup.
 */
import { sql } from "drizzle-orm";
import { runAs } from "../../../db/transaction";
import type { ServiceContext } from "../../../lib/service-context";
import type { SearchHit, SearchQuery } from "../schemas";

const START = "\uE000";
const STOP = "\uE001";
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "`;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** HTML-escapes the headline, then turns the private markers (and only them) into <mark>. */
export function highlightHtml(headline: string): string {
  return headline
    .replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch)
    .replaceAll(START, "<mark>")
    .replaceAll(STOP, "</mark>");
}

interface HitRow extends Record<string, unknown> {
  id: string;
  conversation_id: string;
  channel: SearchHit["channel"];
  address: string;
  contact_id: string;
  contact_name: string;
  direction: SearchHit["direction"];
  created_at: string | Date;
  rank: number | string;
  headline: string;
}

export async function searchMessages(
  ctx: ServiceContext,
  input: SearchQuery,
): Promise<SearchHit[]> {
  const rows = await runAs(ctx.http, ctx.actor, async (q) =>
    q.execute<HitRow>(sql`
      with query as (select websearch_to_tsquery('english', ${input.q}) as tsq),
      best as (
        select m.id, m.conversation_id, m.direction, m.created_at, m.body,
               ts_rank(m.search, query.tsq) as rank
          from messages m, query
         where m.search @@ query.tsq
         order by rank desc, m.created_at desc, m.id desc
         limit ${input.limit}
      )
      select best.id, best.conversation_id, best.direction, best.created_at, best.rank,
             c.channel, c.address, k.id as contact_id, k.name as contact_name,
             ts_headline('english', translate(best.body, ${START + STOP}, ''), query.tsq,
                         ${HEADLINE_OPTIONS}) as headline
        from best
        join conversations c on c.id = best.conversation_id
        join contacts k on k.id = c.contact_id
        cross join query
       order by best.rank desc, best.created_at desc, best.id desc`),
  );
  return rows.rows.map((r) => ({
    messageId: r.id,
    conversationId: r.conversation_id,
    channel: r.channel,
    address: r.address,
    contact: { id: r.contact_id, name: r.contact_name },
    direction: r.direction,
    createdAt: new Date(r.created_at).toISOString(),
    rank: Number(r.rank),
    highlight: highlightHtml(r.headline),
  }));
}
