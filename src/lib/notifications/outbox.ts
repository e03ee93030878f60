/**
 * The transactional outbox. `Outbox.add(tx, …)` writes one `notifications` row inside the
 * caller's transaction, so a rolled-back change sends nothing; `flush()` hands the rows to the
 * `notifications` Queue after the transaction committed (the request middleware calls it after
 * the response; jobs call it themselves). A row whose hand-over is lost is found by the sweep
 * (src/lib/notifications/sweep.ts), and a row the Queue delivers twice is sent once: the
 * consumer leases it, and its id is the provider's idempotency key.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { HttpDatabase } from "../../db/client";
import { type Channel, notifications } from "../../db/schema";
import { runAs, SYSTEM, type Transaction } from "../../db/transaction";
import { afterQuietHours } from "./ist";
import { checkRenderable } from "./render";
import { sealVariables } from "./seal";
import { getTemplate } from "./templates";
import { unsubscribeLink } from "./unsubscribe";

/** The Queue message: only the row id; everything else is read from the row when delivering. */
export interface NotificationJob {
  id: string;
  /** The row's generation when handed over (an admin's retry bumps it); absent means 0. */
  generation?: number;
}

export interface NotificationRequest {
  channel: Channel;
  /** Email address (lower-case) or E.164 phone. */
  to: string;
  template: string;
  /** Safe to keep in the database (shown to admins). */
  variables: Record<string, unknown>;
  /** Values that work as credentials (links with tokens): sealed at rest, erased once sent. */
  secrets?: Record<string, unknown>;
  /** False for marketing (quiet hours, email unsubscribes apply). */
  transactional: boolean;
  /** One notification per cause, however often the cause is retried (e.g. `receipt:<id>`). */
  dedupeKey?: string;
  contactId?: string | null;
  userId?: string | null;
  /** The inbox message this notification delivers. */
  messageId?: string | null;
  /** Not before this time (otherwise now, or after quiet hours). */
  notBefore?: Date;
}

export type QueuedNotification =
  | { id: string; status: "queued"; notBefore: Date; duplicate: boolean }
  | { id: string; status: "suppressed"; reason: string };

/** Cloudflare Queues delays a message by at most 12 hours; the consumer re-delays the rest. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export interface OutboxOptions {
  /** JWT_SECRET: the sealing key is derived from it (src/lib/notifications/seal.ts). */
  secret: string;
  queue: Queue<NotificationJob>;
  now?: () => Date;
  warn?: (msg: string, fields?: Record<string, unknown>) => void;
  /** This API's public origin: marketing email gets its one-click unsubscribe link here. */
  unsubscribeBaseUrl?: string;
}

/**
 * Whether `to` may receive a message of this kind on `channel`: null, or why not. Through a
 * database function, so any writer of the outbox can ask without reading the list.
 */
export async function suppressionOf(
  tx: Transaction,
  channel: Channel,
  to: string,
  transactional: boolean,
): Promise<string | null> {
  const rows = await tx.execute<{ reason: string | null }>(
    sql`select suppression_of(${channel}, ${to}, ${transactional}) as reason`,
  );
  return rows.rows[0]?.reason ?? null;
}

export class Outbox {
  private pending: { id: string; notBefore: Date; generation: number }[] = [];
  private readonly now: () => Date;

  constructor(private readonly opts: OutboxOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Writes the notification in `tx` (the caller's transaction). A suppressed address gets a
   * `suppressed` row (the refusal is recorded) and nothing is queued.
   */
  async add(tx: Transaction, req: NotificationRequest): Promise<QueuedNotification> {
    const id = crypto.randomUUID();
    req = await this.withUnsubscribeLink(req);
    checkRequest(req);
    const suppressed = await suppressionOf(tx, req.channel, req.to, req.transactional);
    const now = this.now();
    const earliest = req.notBefore && req.notBefore > now ? req.notBefore : now;
    const notBefore = req.transactional ? earliest : afterQuietHours(earliest);
    const sealed =
      req.secrets && Object.keys(req.secrets).length > 0 && !suppressed
        ? await sealVariables(this.opts.secret, id, req.secrets)
        : null;
    const [row] = await tx
      .insert(notifications)
      .values({
        id,
        channel: req.channel,
        toAddress: req.to,
        template: req.template,
        variables: req.variables,
        sealedVariables: sealed,
        transactional: req.transactional,
        status: suppressed ? "suppressed" : "queued",
        lastError: suppressed ? `suppressed: ${suppressed}` : null,
        notBefore,
        dedupeKey: req.dedupeKey ?? null,
        contactId: req.contactId ?? null,
        userId: req.userId ?? null,
        messageId: req.messageId ?? null,
      })
      .onConflictDoNothing({ target: notifications.dedupeKey })
      .returning({ id: notifications.id });
    if (!row) {
      // The same cause already queued its notification (a retried webhook, a repeated job).
      const [existing] = await tx
        .select({ id: notifications.id, notBefore: notifications.notBefore })
        .from(notifications)
        .where(eq(notifications.dedupeKey, req.dedupeKey ?? ""))
        .limit(1);
      if (!existing) throw new Error("notification dedupe conflict without a row");
      return { id: existing.id, status: "queued", notBefore: existing.notBefore, duplicate: true };
    }
    if (suppressed) return { id, status: "suppressed", reason: suppressed };
    this.pending.push({ id, notBefore, generation: 0 });
    return { id, status: "queued", notBefore, duplicate: false };
  }

  /**
   * A template with an `unsubscribeLink` variable gets the one made for its recipient
   * (marketing email: RFC 8058 one-click, src/lib/notifications/unsubscribe.ts), whatever the
   * caller passed: an opt-out link must always work.
   */
  private async withUnsubscribeLink(req: NotificationRequest): Promise<NotificationRequest> {
    const template = getTemplate(req.template);
    const secret = template?.secretVariables as readonly string[] | undefined;
    if (!secret?.includes("unsubscribeLink")) return req;
    const base = this.opts.unsubscribeBaseUrl ?? "http://127.0.0.1:8787";
    const link = await unsubscribeLink(base, this.opts.secret, req.to);
    return { ...req, secrets: { ...req.secrets, unsubscribeLink: link } };
  }

  /**
   * An outbox of its own for background work (`ctx.detached`): rows it adds are handed over only
   * by its own `flush()`, after its own commit, never by the request's, which may run while the
   * background transaction is still open (the consumer would find no row, and the row would wait
   * for the sweep).
   */
  fork(): Outbox {
    return new Outbox(this.opts);
  }

  /** Queues a row again (an admin's retry of a failed notification), after the caller commits. */
  requeue(id: string, generation: number, notBefore: Date = this.now()) {
    this.pending.push({ id, notBefore, generation });
  }

  get size(): number {
    return this.pending.length;
  }

  /**
   * Hands what was added to the Queue. Call after the transaction committed: a row that did
   * not commit is simply not found by the consumer. A failed hand-over is logged and left to
   * the sweep.
   */
  async flush(http: HttpDatabase): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const now = this.now().getTime();
    const messages = batch.map((p) => ({
      body: { id: p.id, generation: p.generation } satisfies NotificationJob,
      delaySeconds: Math.min(
        MAX_QUEUE_DELAY_SECONDS,
        Math.max(0, Math.ceil((p.notBefore.getTime() - now) / 1000)),
      ),
    }));
    try {
      for (let i = 0; i < messages.length; i += 100) {
        await this.opts.queue.sendBatch(messages.slice(i, i + 100));
      }
    } catch (err) {
      this.opts.warn?.("notification hand-over to the queue failed; the sweep will retry", {
        error: err instanceof Error ? err.name : "unknown",
        count: batch.length,
      });
      return;
    }
    await runAs(http, SYSTEM, (q) =>
      q
        .update(notifications)
        .set({ enqueuedAt: sql`greatest(now(), ${notifications.notBefore})` })
        .where(
          and(
            inArray(
              notifications.id,
              batch.map((p) => p.id),
            ),
            eq(notifications.status, "queued"),
          ),
        ),
    ).catch((err: unknown) =>
      this.opts.warn?.("could not stamp enqueued notifications", {
        error: err instanceof Error ? err.name : "unknown",
      }),
    );
  }
}

/**
 * A template's secret variables (links with tokens) must come as `secrets`, never as plain
 * variables, and the whole must render: both are programming errors, caught before anything
 * is written.
 */
function checkRequest(req: NotificationRequest) {
  const template = getTemplate(req.template);
  if (template) {
    for (const key of template.secretVariables as readonly string[]) {
      if (Object.hasOwn(req.variables, key)) {
        throw new Error(`${req.template}.${key} is a secret variable: pass it in secrets`);
      }
    }
    if (!template.transactional && req.transactional) {
      throw new Error(`${req.template} is not transactional`);
    }
  }
  checkRenderable(req.channel, req.template, { ...req.variables, ...req.secrets });
}
