import { desc, eq } from "drizzle-orm";
import { notifications } from "../../src/db/schema";
import { devMessages } from "../../src/providers/messaging/dev";
import type { Harness } from "./harness";

/**
 * The newest notification to `to`, delivered: first runs the Queue's consumer on what requests
 * handed over (`h.deliverNotifications()`), then reads the newest `notifications` row to `to`
 * and, from the development channel (`devMessages`, keyed by the row id), the message it sent:
 * its subject and text, its first link and that link's token. Tokens are never readable in
 * the database (sealed, erased once sent).
 */
export async function lastEmailTo(h: Harness, to: string) {
  await h.deliverNotifications();
  const [row] = await h.db
    .select()
    .from(notifications)
    .where(eq(notifications.toAddress, to))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(1);
  if (!row) return undefined;
  const message = devMessages.get(row.id);
  const link = message?.links[0];
  const token = link ? new URL(link).searchParams.get("token") : null;
  return { ...row, subject: message?.subject, text: message?.text, message, link, token };
}

/** Every notification to `to`, oldest first (without delivering anything). */
export function notificationsTo(h: Harness, to: string) {
  return h.db
    .select()
    .from(notifications)
    .where(eq(notifications.toAddress, to))
    .orderBy(notifications.createdAt, notifications.id);
}
