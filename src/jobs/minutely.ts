/**
 * The every-minute job (cron `* * * * *`): class reminders for classes starting within the
 * hour, and the outbox sweep, so a notification whose hand-over to the Queue was lost goes out
 * within minutes, not at the next 15-minute maintenance run; support tickets' SLA marks and
 * the auto-close of tickets solved 7 days ago. Each step is independent.
 */
import { dbFromConfig, httpFromConfig } from "../db/client";
import { autoCloseSolved, markSlaBreaches } from "../domains/tickets/public";
import { loadConfig } from "../env";
import { createLogger } from "../lib/logger";
import { type NotificationJob, Outbox } from "../lib/notifications/outbox";
import { sweepOutbox } from "../lib/notifications/sweep";
import { queueClassReminders } from "./class-reminders";

export const MINUTELY_CRON = "* * * * *";

export interface MinutelyReport {
  remindersQueued: number;
  notificationsSwept: number;
  slaMarks: number;
  ticketsAutoClosed: number;
  failures: { step: string; error: string }[];
}

export async function runMinutely(env: Env): Promise<MinutelyReport> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`invalid configuration: ${loaded.issues.join("; ")}`);
  const config = loaded.config;
  const queue = env.NOTIFICATIONS as Queue<NotificationJob>;
  const logger = createLogger(config.LOG_LEVEL, { job: "minutely" });
  const warn = (message: string, fields: Record<string, unknown>) => logger.warn(message, fields);
  const { db, close } = dbFromConfig(config, { minTimeoutMs: 15_000 });
  const report: MinutelyReport = {
    remindersQueued: 0,
    notificationsSwept: 0,
    slaMarks: 0,
    ticketsAutoClosed: 0,
    failures: [],
  };
  const attempt = async (step: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      report.failures.push({ step, error: err instanceof Error ? err.name : "unknown" });
    }
  };
  try {
    await attempt("classReminders", async () => {
      const outbox = new Outbox({ secret: config.JWT_SECRET, queue });
      report.remindersQueued = await queueClassReminders(db, outbox, config);
      await outbox.flush(httpFromConfig(config));
    });
    await attempt("ticketSla", async () => {
      const outbox = new Outbox({ secret: config.JWT_SECRET, queue });
      report.slaMarks = await markSlaBreaches(db, { outbox, config, warn });
      await outbox.flush(httpFromConfig(config));
    });
    await attempt("ticketAutoClose", async () => {
      const outbox = new Outbox({ secret: config.JWT_SECRET, queue });
      report.ticketsAutoClosed = await autoCloseSolved(db, { outbox, config, warn });
      await outbox.flush(httpFromConfig(config));
    });
    // Last: it hands over whatever the steps above queued and could not flush.
    await attempt("outboxSweep", async () => {
      report.notificationsSwept = await sweepOutbox(db, queue);
    });
    return report;
  } finally {
    await close();
  }
}
