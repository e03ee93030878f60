/**
 * The `notifications` Queue as the harness drives it. Producer side: the harness binds
 * NOTIFICATIONS to this recorder, so what a request hands over stays with its test file (the
 * plugin's own queue would deliver to the main Worker with the global bindings, i.e. another
 * database). Consumer side: `deliver()` runs the Worker's real `queue()` handler on batches
 * made with the plugin's `createMessageBatch`, and reads acks and retries with
 * `getQueueResult`, playing the Queue's part: a retried message comes back with its attempt
 * counted, and after `max_retries` (wrangler.toml) goes to the dead-letter queue's consumer.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import type { NotificationJob } from "../../src/lib/notifications/outbox";

/** wrangler.toml: `max_retries = 2` on the notifications consumer. */
export const MAX_RETRIES = 2;

export interface Sent {
  body: NotificationJob;
  delaySeconds: number;
}

export class RecordingQueue {
  readonly sent: Sent[] = [];
  /** Every hand-over ever made (deliver() drains `sent`). */
  readonly history: Sent[] = [];
  /** Make the next hand-overs fail, as an unavailable Queue would. */
  failNext = 0;

  private record(body: NotificationJob, delaySeconds = 0) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("queue unavailable (test)");
    }
    const item = { body, delaySeconds };
    this.sent.push(item);
    this.history.push(item);
  }

  async send(body: NotificationJob, options?: QueueSendOptions): Promise<QueueSendResponse> {
    this.record(body, options?.delaySeconds);
    return {} as QueueSendResponse;
  }

  async sendBatch(
    messages: Iterable<MessageSendRequest<NotificationJob>>,
  ): Promise<QueueSendBatchResponse> {
    const list = [...messages];
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("queue unavailable (test)");
    }
    for (const m of list) this.record(m.body, m.delaySeconds);
    return {} as QueueSendBatchResponse;
  }

  async metrics(): Promise<QueueMetrics> {
    return {} as QueueMetrics;
  }
}

export interface DeliveryRound {
  /** Message ids the consumer retried, with the delay it asked for. */
  retried: { id: string; delaySeconds?: number }[];
  /** Notification ids that reached the dead-letter queue. */
  deadLettered: string[];
  /** Notification ids delivered in this round (acked). */
  acked: string[];
}

interface Pending {
  body: NotificationJob;
  attempts: number;
}

export async function deliverQueued(
  worker: ExportedHandler<Env>,
  env: Env,
  queue: RecordingQueue,
  opts: {
    rounds?: number;
    /** Before a retried message comes back: "time passes" (e.g. make its row due now). */
    beforeRetry?: (ids: string[]) => Promise<void>;
  } = {},
): Promise<DeliveryRound[]> {
  const handler = worker.queue;
  if (!handler) throw new Error("worker has no queue handler");
  const rounds: DeliveryRound[] = [];
  let pending: Pending[] = queue.sent.splice(0).map((s) => ({ body: s.body, attempts: 1 }));
  for (let round = 0; round < (opts.rounds ?? 10) && pending.length > 0; round++) {
    const messages = pending.map((p, i) => ({
      id: `m${round}-${i}-${p.body.id}`,
      timestamp: Date.now(),
      attempts: p.attempts,
      body: p.body,
    }));
    const batch = createMessageBatch<NotificationJob>("notifications", messages);
    // getQueueResult reports which messages were retried, not the delay asked for: record it.
    const delays = new Map<string, number | undefined>();
    for (const message of batch.messages) {
      const retry = message.retry.bind(message);
      message.retry = (options?: QueueRetryOptions) => {
        delays.set(message.id, options?.delaySeconds);
        retry(options);
      };
    }
    const ctx = createExecutionContext();
    await handler(batch as MessageBatch<unknown>, env, ctx);
    const result = await getQueueResult(batch, ctx);
    const retriedIds = new Set(result.retryMessages.map((r) => r.msgId));
    const next: Pending[] = [];
    const dead: NotificationJob[] = [];
    const acked: string[] = [];
    for (const m of messages) {
      if (!retriedIds.has(m.id)) {
        acked.push(m.body.id);
        continue;
      }
      if (m.attempts > MAX_RETRIES) dead.push(m.body);
      else next.push({ body: m.body, attempts: m.attempts + 1 });
    }
    if (dead.length > 0) {
      const dlq = createMessageBatch<NotificationJob>(
        "notifications-dlq",
        dead.map((body, i) => ({
          id: `dlq${round}-${i}`,
          timestamp: Date.now(),
          attempts: 1,
          body,
        })),
      );
      const dctx = createExecutionContext();
      await handler(dlq as MessageBatch<unknown>, env, dctx);
      await getQueueResult(dlq, dctx);
    }
    rounds.push({
      retried: result.retryMessages.map((r) => ({
        id: messages.find((m) => m.id === r.msgId)?.body.id ?? r.msgId,
        delaySeconds: delays.get(r.msgId),
      })),
      deadLettered: dead.map((d) => d.id),
      acked,
    });
    if (next.length > 0) await opts.beforeRetry?.(next.map((p) => p.body.id));
    // Hand-overs the consumer made itself (a row not yet due) join the next round.
    pending = [...next, ...queue.sent.splice(0).map((s) => ({ body: s.body, attempts: 1 }))];
  }
  return rounds;
}
