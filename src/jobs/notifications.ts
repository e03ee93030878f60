/**
 * The Worker's `queue()` handler: the `notifications` Queue delivers outbox rows
 * (src/lib/notifications/deliver.ts); its dead-letter queue marks what reached it failed.
 */
import { httpFromConfig } from "../db/client";
import { loadConfig } from "../env";
import { createLogger } from "../lib/logger";
import { channelsFromConfig, smsStatusCallbackUrl } from "../lib/notifications/channels";
import { type DeliveryDeps, deadLetter, deliverNotification } from "../lib/notifications/deliver";
import type { NotificationJob } from "../lib/notifications/outbox";

const isJob = (body: unknown): body is NotificationJob => {
  if (typeof body !== "object" || body === null) return false;
  const { id, generation } = body as { id?: unknown; generation?: unknown };
  return (
    typeof id === "string" &&
    /^[0-9a-f-]{36}$/i.test(id) &&
    (generation === undefined || (Number.isInteger(generation) && (generation as number) >= 0))
  );
};

export async function handleNotificationBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  overrides: Partial<DeliveryDeps> = {},
): Promise<void> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error("invalid worker configuration");
  const config = loaded.config;
  const logger = createLogger(config.LOG_LEVEL, { queue: batch.queue });
  const http = httpFromConfig(config);
  const queue = env.NOTIFICATIONS as Queue<NotificationJob>;

  if (batch.queue.endsWith("-dlq")) {
    await deadLetter(http, batch.messages.map((m) => m.body).filter(isJob));
    batch.ackAll();
    return;
  }

  const deps: DeliveryDeps = {
    http,
    channels: channelsFromConfig(config),
    secret: config.JWT_SECRET,
    retryBaseSeconds: config.NOTIFY_RETRY_BASE_SECONDS,
    brand: config.SUPPLIER_NAME,
    whatsappLanguage: config.WHATSAPP_TEMPLATE_LANGUAGE,
    smsStatusCallbackUrl: smsStatusCallbackUrl(config),
    requeue: async (job, delaySeconds) => {
      await queue.send(job, { delaySeconds });
    },
    logger,
    ...overrides,
  };
  // One at a time per batch member, concurrently across members: each is independent.
  await Promise.all(
    batch.messages.map(async (message) => {
      if (!isJob(message.body)) {
        logger.warn("notification queue message without an id", {});
        message.ack();
        return;
      }
      try {
        const decision = await deliverNotification(deps, message.body, message.attempts);
        if (decision.kind === "retry") message.retry({ delaySeconds: decision.delaySeconds });
        else message.ack();
      } catch (err) {
        // Our own failure (database unreachable): the Queue tries again; the lease expires.
        logger.error("notification delivery failed", {
          error: err instanceof Error ? err.name : "unknown",
        });
        message.retry({ delaySeconds: Math.min(60 * message.attempts, 600) });
      }
    }),
  );
}
