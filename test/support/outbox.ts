import { desc, eq } from "drizzle-orm";
import { emailOutbox } from "../../src/db/schema";
import type { Harness } from "./harness";

/** The newest email to `to` (dev outbox provider), with the token from its first link. */
export async function lastEmailTo(h: Harness, to: string) {
  const [row] = await h.db
    .select()
    .from(emailOutbox)
    .where(eq(emailOutbox.toAddress, to))
    .orderBy(desc(emailOutbox.createdAt))
    .limit(1);
  if (!row) return undefined;
  const link = row.links[0];
  const token = link ? new URL(link).searchParams.get("token") : null;
  return { ...row, link, token };
}
