/**
 * The every-minute job (cron `* * * * *`): the outbox sweep, so a notification whose hand-over
 * to the Queue was lost goes out within minutes, not at the next 15-minute maintenance run.
 */
import { dbFromConfig } from "../db/client";
import { loadConfig } from "../env";
import type { NotificationJob } from "../lib/notifications/outbox";
import { sweepOutbox } from "../lib/notifications/sweep";

export const MINUTELY_CRON = "* * * * *";

export interface MinutelyReport {
  notificationsSwept: number;
}

export async function runMinutely(env: Env): Promise<MinutelyReport> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`invalid configuration: ${loaded.issues.join("; ")}`);
  const { db, close } = dbFromConfig(loaded.config, { minTimeoutMs: 15_000 });
  try {
    const notificationsSwept = await sweepOutbox(db, env.NOTIFICATIONS as Queue<NotificationJob>);
    return { notificationsSwept };
  } finally {
    await close();
  }
}
