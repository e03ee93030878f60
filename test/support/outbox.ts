import { desc, eq } from "drizzle-orm";
import { emailOutbox } from "../../src/db/schema";
import { devMailbox } from "../../src/lib/email";
import type { Harness } from "./harness";

/**
 * The newest email to `to` (dev outbox provider): its `email_outbox` row (metadata only) and,
 * from the isolate's dev mailbox, its first link and that link's token. Tokens are never in
 * the database.
 */
export async function lastEmailTo(h: Harness, to: string) {
  const [row] = await h.db
    .select()
    .from(emailOutbox)
    .where(eq(emailOutbox.toAddress, to))
    .orderBy(desc(emailOutbox.createdAt))
    .limit(1);
  if (!row) return undefined;
  const link = devMailbox.get(row.id)?.links?.[0];
  const token = link ? new URL(link).searchParams.get("token") : null;
  return { ...row, link, token };
}
