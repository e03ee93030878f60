/**
 * The `notifications` Queue's consumer: delivers each outbox row once, however often the Queue
 * hands it over.
 *
 * 1. Lease the row (one statement): only a `queued`, due, unleased row is taken, and its
 *    attempt counted. A row that is gone (its transaction rolled back), final, not yet due or
 *    leased by another delivery is not sent: acknowledged, or handed over again later.
 * 2. Check again what may have changed since it was queued: an opt-out, WhatsApp's 24-hour
 *    window for free text.
 * 3. Render and send with the row id as the provider's idempotency key (Resend deduplicates
 *    on it; a retry after a lost answer never reaches the person twice).
 * 4. Record the outcome. A retryable failure is retried by the Queue with exponential backoff
 *    and jitter (a 429's Retry-After when longer); the last one marks the row `failed` and goes
 *    on to the dead-letter queue. A permanent failure is `failed` at once.
 */
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { HttpDatabase } from "../../db/client";
import { conversations, messages, type Notification, notifications } from "../../db/schema";
import { runAs, SYSTEM } from "../../db/transaction";
import type {
  EmailChannel,
  SendOutcome,
  SmsChannel,
  WhatsAppChannel,
} from "../../providers/messaging";
import type { Logger } from "../logger";
import { afterQuietHours, whatsappWindowOpen } from "./ist";
import { MAX_QUEUE_DELAY_SECONDS, type NotificationJob } from "./outbox";
import { type Rendered, renderNotification } from "./render";
import { openVariables } from "./seal";

/** Tries in all: the first and the Queue's `max_retries` (wrangler.toml). */
export const MAX_ATTEMPTS = 3;
export const OUTCOME_UNKNOWN =
  "OUTCOME_UNKNOWN: an earlier try may have reached the person (this provider takes no idempotency key); check before retrying";

/** How long one delivery holds its lease; longer than any provider call (10 s timeout). */
const LEASE_SECONDS = 120;

export interface Channels {
  email: EmailChannel;
  whatsapp: WhatsAppChannel;
  sms: SmsChannel;
}

export interface DeliveryDeps {
  http: HttpDatabase;
  channels: Channels;
  /** JWT_SECRET: opens sealed variables. */
  secret: string;
  retryBaseSeconds: number;
  brand: string;
  whatsappLanguage: string;
  /** Where Twilio posts delivery statuses (our webhook), when the API's public URL is known. */
  smsStatusCallbackUrl?: string;
  /** Hands a row to the Queue again (a delay past quiet hours or a lease). */
  requeue: (job: NotificationJob, delaySeconds: number) => Promise<void>;
  logger: Logger;
  now?: () => Date;
  random?: () => number;
}

export type Decision =
  | { kind: "ack" }
  | { kind: "retry"; delaySeconds: number }
  /** Give up this Queue message; the row is handed over again later (not due, leased). */
  | { kind: "later"; delaySeconds: number };

/** Exponential backoff with full jitter over the upper half: base·2^(n−1) · [0.5, 1). */
export function backoffSeconds(attempt: number, baseSeconds: number, random = Math.random) {
  const ceiling = baseSeconds * 2 ** Math.max(0, attempt - 1);
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.round(ceiling * (0.5 + random() / 2))));
}

export async function deliverNotification(
  deps: DeliveryDeps,
  job: NotificationJob,
  queueAttempt: number,
): Promise<Decision> {
  const now = deps.now?.() ?? new Date();
  // The lease, and what it replaced: a lease that ran out means an earlier delivery started
  // and recorded no outcome (its isolate died, or its database write failed).
  const [claimed] = await runAs(deps.http, SYSTEM, (q) => {
    const prev = q
      .$with("prev")
      .as(
        q
          .select({ id: notifications.id, previousLease: notifications.lockedUntil })
          .from(notifications)
          .where(eq(notifications.id, job.id)),
      );
    return q
      .with(prev)
      .update(notifications)
      .set({
        attempts: sql`${notifications.attempts} + 1`,
        lockedUntil: sql`now() + make_interval(secs => ${LEASE_SECONDS})`,
      })
      .from(prev)
      .where(
        and(
          eq(notifications.id, prev.id),
          eq(notifications.status, "queued"),
          sql`${notifications.notBefore} <= now() + interval '5 seconds'`,
          sql`(${notifications.lockedUntil} is null or ${notifications.lockedUntil} < now())`,
        ),
      )
      .returning({ row: getTableColumns(notifications), previousLease: prev.previousLease });
  });
  const row = claimed?.row as Notification | undefined;
  if (!row) return whyNotLeased(deps, job);

  // Quiet hours hold at delivery too: a Queue backlog, the sweep or an admin's retry can bring
  // a marketing message due before 21:00 to the consumer after it.
  if (!row.transactional) {
    const opens = afterQuietHours(now);
    if (opens.getTime() > now.getTime()) {
      await runAs(deps.http, SYSTEM, (q) =>
        q
          .update(notifications)
          .set({
            attempts: sql`${notifications.attempts} - 1`,
            lockedUntil: null,
            notBefore: opens,
            enqueuedAt: opens,
          })
          .where(and(eq(notifications.id, row.id), eq(notifications.status, "queued"))),
      );
      const wait = Math.ceil((opens.getTime() - now.getTime()) / 1000);
      await deps.requeue(
        { id: row.id, generation: row.generation },
        Math.min(MAX_QUEUE_DELAY_SECONDS, wait),
      );
      return { kind: "ack" };
    }
  }

  // WhatsApp and Twilio take no idempotency key: a send whose outcome was never recorded may
  // have reached the person, and sending again could reach them twice. Such a row fails for an
  // admin to look at and retry, instead of going out again by itself (email is resent: Resend
  // deduplicates on the row id).
  if (claimed?.previousLease && row.channel !== "email") {
    await finish(deps, row, { status: "failed", error: OUTCOME_UNKNOWN });
    return { kind: "ack" };
  }

  const blocked = await stillAllowed(deps, row, now);
  if (blocked) {
    await finish(deps, row, { status: blocked.status, error: blocked.error });
    return { kind: "ack" };
  }

  const rendered = await render(deps, row);
  if (!rendered.ok) {
    await finish(deps, row, { status: "failed", error: rendered.error });
    return { kind: "ack" };
  }
  const outcome = await send(deps, row, rendered.value);
  if (outcome.ok) {
    await finish(deps, row, {
      status: "sent",
      provider: rendered.provider,
      providerMessageId: outcome.providerMessageId,
    });
    return { kind: "ack" };
  }
  if (outcome.code === "TIMEOUT" && row.channel !== "email") {
    // The request went out and no answer came: it may have been sent (see above).
    await finish(deps, row, {
      status: "failed",
      error: OUTCOME_UNKNOWN,
      provider: rendered.provider,
    });
    return { kind: "ack" };
  }
  const error = outcome.code ? `${outcome.code}: ${outcome.error}` : outcome.error;
  if (!outcome.retryable || queueAttempt >= MAX_ATTEMPTS) {
    await finish(deps, row, { status: "failed", error, provider: rendered.provider });
    deps.logger.warn("notification failed", {
      notification: row.id,
      channel: row.channel,
      template: row.template,
      attempts: row.attempts,
      error,
    });
    // The last try of a retryable failure goes on to the dead-letter queue (which finds the row
    // already failed); a permanent failure has nothing left to try.
    return outcome.retryable ? { kind: "retry", delaySeconds: 0 } : { kind: "ack" };
  }
  let delaySeconds = Math.max(
    backoffSeconds(queueAttempt, deps.retryBaseSeconds, deps.random),
    Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(outcome.retryAfterSeconds ?? 0)),
  );
  let notBefore = new Date(now.getTime() + delaySeconds * 1000);
  if (!row.transactional) {
    // A retry of a marketing message must not land in quiet hours either.
    notBefore = afterQuietHours(notBefore);
    delaySeconds = Math.min(
      MAX_QUEUE_DELAY_SECONDS,
      Math.ceil((notBefore.getTime() - now.getTime()) / 1000),
    );
  }
  await runAs(deps.http, SYSTEM, (q) =>
    q
      .update(notifications)
      .set({ lastError: error, lockedUntil: null, notBefore, enqueuedAt: notBefore })
      .where(and(eq(notifications.id, row.id), eq(notifications.status, "queued"))),
  );
  return { kind: "retry", delaySeconds };
}

async function whyNotLeased(deps: DeliveryDeps, job: NotificationJob): Promise<Decision> {
  const id = job.id;
  const [row] = await runAs(deps.http, SYSTEM, (q) =>
    q
      .select({
        status: notifications.status,
        dueIn: sql<number>`ceil(extract(epoch from ${notifications.notBefore} - now()))::int`,
        leasedFor: sql<number>`ceil(extract(epoch from coalesce(${notifications.lockedUntil}, now()) - now()))::int`,
      })
      .from(notifications)
      .where(eq(notifications.id, id)),
  );
  // Rolled back, or already final: nothing to send.
  if (row?.status !== "queued") return { kind: "ack" };
  const wait = Math.max(row.dueIn, row.leasedFor, 1);
  await deps.requeue(job, Math.min(MAX_QUEUE_DELAY_SECONDS, wait));
  return { kind: "ack" };
}

/** What changed since the row was queued: null, or why it must not go out now. */
async function stillAllowed(
  deps: DeliveryDeps,
  row: Notification,
  now: Date,
): Promise<{ status: "suppressed" | "failed"; error: string } | null> {
  const result = await runAs(deps.http, SYSTEM, (q) =>
    q.execute<{ reason: string | null }>(
      sql`select suppression_of(${row.channel}, ${row.toAddress}, ${row.transactional}) as reason`,
    ),
  );
  const reason = result.rows[0]?.reason;
  if (reason) return { status: "suppressed", error: `suppressed: ${reason}` };
  // Free text on WhatsApp is only ever an inbox reply: no thread, no window.
  if (row.channel === "whatsapp" && row.template === "conversation_reply") {
    const [thread] = await runAs(deps.http, SYSTEM, (q) =>
      q
        .select({ lastInboundAt: conversations.lastInboundAt })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(eq(messages.id, row.messageId ?? "")),
    );
    if (!whatsappWindowOpen(thread?.lastInboundAt ?? null, now)) {
      return {
        status: "failed",
        error:
          "WHATSAPP_WINDOW_CLOSED: free text only within 24 hours of the contact's last message",
      };
    }
  }
  return null;
}

async function render(
  deps: DeliveryDeps,
  row: Notification,
): Promise<{ ok: true; value: Rendered; provider: string } | { ok: false; error: string }> {
  let secrets: Record<string, unknown> = {};
  if (row.sealedVariables) {
    const opened = await openVariables(deps.secret, row.id, row.sealedVariables);
    if (!opened) return { ok: false, error: "sealed variables could not be opened" };
    secrets = opened;
  }
  const rendered = renderNotification(
    row.channel,
    row.template,
    { ...row.variables, ...secrets },
    { brand: deps.brand, whatsappLanguage: deps.whatsappLanguage },
  );
  if (!rendered.ok) return rendered;
  return { ok: true, value: rendered.value, provider: deps.channels[row.channel].provider };
}

function send(deps: DeliveryDeps, row: Notification, rendered: Rendered): Promise<SendOutcome> {
  const idempotencyKey = row.id;
  switch (rendered.channel) {
    case "email":
      return deps.channels.email.send({
        to: row.toAddress,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: rendered.headers,
        tags: [{ name: "template", value: row.template.replace(/[^A-Za-z0-9_-]/g, "_") }],
        idempotencyKey,
      });
    case "whatsapp":
      return deps.channels.whatsapp.send(
        rendered.template
          ? { to: row.toAddress, idempotencyKey, kind: "template", ...rendered.template }
          : { to: row.toAddress, idempotencyKey, kind: "text", body: rendered.text },
      );
    case "sms":
      return deps.channels.sms.send({
        to: row.toAddress,
        body: rendered.text,
        idempotencyKey,
        statusCallbackUrl: deps.smsStatusCallbackUrl,
      });
  }
}

interface Outcome {
  status: "sent" | "failed" | "suppressed";
  provider?: string;
  providerMessageId?: string;
  error?: string;
}

/** Records a final outcome on the row and on the inbox message it delivers, in one round trip. */
async function finish(deps: DeliveryDeps, row: Notification, outcome: Outcome) {
  const sent = outcome.status === "sent";
  await runAs(deps.http, SYSTEM, async (q) => {
    const statements = [
      q
        .update(notifications)
        .set({
          status: outcome.status,
          provider: outcome.provider ?? row.provider,
          providerMessageId: outcome.providerMessageId ?? null,
          lastError: sent ? null : (outcome.error ?? null),
          sentAt: sent ? sql`now()` : null,
          lockedUntil: null,
          // Nothing that works as a credential outlives its delivery.
          sealedVariables: sent ? null : row.sealedVariables,
        })
        .where(and(eq(notifications.id, row.id), eq(notifications.status, "queued"))),
    ] as const;
    if (!row.messageId) {
      await q.batch([...statements]);
      return;
    }
    await q.batch([
      ...statements,
      q
        .update(messages)
        .set({
          status: sent ? "sent" : "failed",
          provider: outcome.provider ?? null,
          providerMessageId: outcome.providerMessageId ?? null,
          error: sent ? null : (outcome.error ?? null),
          statusAt: sql`now()`,
        })
        .where(and(eq(messages.id, row.messageId), inArray(messages.status, ["queued"]))),
    ]);
  });
}

/**
 * The dead-letter queue's consumer: whatever reached it is failed (and visible to admins),
 * unless an admin queued it again since: a dead letter of an earlier generation leaves the
 * retried row alone (the Queue may move a message to the dead-letter queue after the retry).
 */
export async function deadLetter(http: HttpDatabase, jobs: NotificationJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await runAs(http, SYSTEM, async (q) => {
    const [first, ...rest] = jobs.map((job) =>
      q
        .update(notifications)
        .set({
          status: "failed",
          lockedUntil: null,
          lastError: sql`coalesce(${notifications.lastError}, 'dead-lettered')`,
        })
        .where(
          and(
            eq(notifications.id, job.id),
            eq(notifications.status, "queued"),
            eq(notifications.generation, job.generation ?? 0),
          ),
        ),
    );
    if (first) await q.batch([first, ...rest]);
  });
}
