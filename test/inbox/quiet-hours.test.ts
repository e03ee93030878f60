/**
 * Quiet hours on a reply, at the minute they start: the reply verb (transport-free) with the
 * outbox's clock set. `lead_follow_up` is marketing: at 20:59 IST it may go at once, at 21:00
 * IST it waits for 09:00 the next day; a free-text reply is transactional and never waits.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbFromConfig, httpFromConfig } from "../../src/db/client";
import { notifications } from "../../src/db/schema";
import { sendMessage } from "../../src/domains/inbox/service/messages";
import { loadConfig } from "../../src/env";
import { type NotificationJob, Outbox } from "../../src/lib/notifications/outbox";
import type { ServiceContext } from "../../src/lib/service-context";
import type { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { inboxHarness, insertContact, LEAD_FOLLOW_UP, openThread } from "./support";

function contextAt(h: Harness, admin: TestUser, at: Date) {
  const loaded = loadConfig(h.env);
  if (!loaded.ok) throw new Error("test config invalid");
  const config = loaded.config;
  const handle = dbFromConfig(config);
  const queued: NotificationJob[] = [];
  const queue = {
    sendBatch: async (batch: { body: NotificationJob }[]) => {
      queued.push(...batch.map((m) => m.body));
    },
  } as unknown as Queue<NotificationJob>;
  const ctx = {
    db: handle.db,
    http: httpFromConfig(config),
    config,
    actor: { userId: admin.id, role: "admin", sessionId: admin.sessionId },
    audit: { actorId: admin.id, actorRole: "admin", requestId: null, ip: null, userAgent: null },
    outbox: new Outbox({ secret: config.JWT_SECRET, queue, now: () => at }),
  } as unknown as ServiceContext;
  return { ctx, close: () => handle.close() };
}

describe("quiet hours on replies", () => {
  const cases: [string, string, string, unknown][] = [
    // 20:59 IST is 15:29 UTC: not quiet yet.
    [
      "lead_follow_up at 20:59 IST goes now",
      "2026-12-01T15:29:00.000Z",
      "2026-12-01T15:29:00.000Z",
      LEAD_FOLLOW_UP,
    ],
    // 21:00 IST: held until 09:00 IST (03:30 UTC) the next day.
    [
      "lead_follow_up at 21:00 IST waits for 09:00",
      "2026-12-01T15:30:00.000Z",
      "2026-12-02T03:30:00.000Z",
      LEAD_FOLLOW_UP,
    ],
    [
      "lead_follow_up at 08:59 IST waits for 09:00 that day",
      "2026-12-02T03:29:00.000Z",
      "2026-12-02T03:30:00.000Z",
      LEAD_FOLLOW_UP,
    ],
    [
      "free text at 21:00 IST goes now (transactional)",
      "2026-12-01T15:30:00.000Z",
      "2026-12-01T15:30:00.000Z",
      { text: "Your class link is in your email" },
    ],
  ];

  it.for(cases)("%s", async ([, at, notBefore, body], t) => {
    const h = await inboxHarness(t);
    const admin = await h.asAdmin();
    const contact = await insertContact(h);
    const thread = await openThread(h, admin, contact.id, "email");
    expect(thread.status, thread.text).toBe(201);
    const { ctx, close } = contextAt(h, admin, new Date(at));
    try {
      const sent = await sendMessage(ctx, thread.body.id, body as never, {
        now: () => new Date(at),
      });
      expect(sent.notification.notBefore).toBe(notBefore);
      const [row] = await h.db
        .select()
        .from(notifications)
        .where(eq(notifications.id, sent.notification.id));
      expect(row?.notBefore.toISOString()).toBe(notBefore);
      expect(row?.status).toBe("queued");
    } finally {
      await close();
    }
  });
});
