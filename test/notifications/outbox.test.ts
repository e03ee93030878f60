/**
 * The transactional outbox end to end: a row written in the caller's transaction, handed to the
 * Queue after the response, delivered by the real queue() handler through the real provider
 * adapters against their local fakes, retried, dead-lettered, retried by an admin.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notifications, suppressions } from "../../src/db/schema";
import { createWorker } from "../../src/index";
import { afterQuietHours } from "../../src/lib/notifications/ist";
import { getTemplate } from "../../src/lib/notifications/templates";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";
import { appWithNotifyRoute } from "../support/notify-app";

const FAKE_EMAIL = testEnv.TEST_FAKE_EMAIL_URL;
const FAKE_WHATSAPP = testEnv.TEST_FAKE_WHATSAPP_URL;

/** The real adapters against the fakes (the suite's default is the dev channels). */
const realProviders = {
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test_fake_0123456789abcdef",
  RESEND_BASE_URL: FAKE_EMAIL,
  WHATSAPP_PROVIDER: "cloud",
  WHATSAPP_ACCESS_TOKEN: "EAAG-fake-whatsapp-token-0123456789",
  WHATSAPP_PHONE_NUMBER_ID: "1234567890",
  WHATSAPP_APP_SECRET: "test-whatsapp-app-secret",
  WHATSAPP_VERIFY_TOKEN: "test-verify-token",
  WHATSAPP_BASE_URL: FAKE_WHATSAPP,
};

const harness = (t: Parameters<typeof Harness.init>[0]) =>
  Harness.init(t, { app: appWithNotifyRoute(), env: realProviders });

const unique = () => crypto.randomUUID().slice(0, 8);
const address = (prefix = "student") => `${prefix}-${unique()}@example.in`;

function verification(to: string, token = `tok-${unique()}`) {
  return {
    channel: "email",
    to,
    template: "email_verification",
    variables: { name: "Aarav Sharma" },
    secrets: { link: `http://127.0.0.1:3000/verify-email?token=${token}` },
    transactional: true,
  };
}

async function emailsAt(to: string): Promise<{ id: string; text?: string; attempts?: number }[]> {
  const res = await fetch(`${FAKE_EMAIL}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as { id: string; text?: string; attempts?: number }[];
}

async function notify(h: Harness, request: object, rollBack = false) {
  return h.post<unknown, { id: string; status: string }>("/__test/notify", { request, rollBack });
}

async function rowOf(h: Harness, id: string) {
  const [row] = await h.db.select().from(notifications).where(eq(notifications.id, id));
  return row;
}

describe("the outbox", () => {
  it("a rolled-back transaction sends nothing", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, verification(to), true);
    expect(res.status).toBe(409);
    // The hand-over happened (after the response), but the row never committed.
    expect(h.queue.sent).toHaveLength(1);
    const id = h.queue.sent[0]?.body.id ?? "";
    const rounds = await h.deliverNotifications();
    expect(rounds[0]?.acked).toEqual([id]);
    expect(await rowOf(h, id)).toBeUndefined();
    expect(await emailsAt(to)).toEqual([]);
  });

  it("a committed one is delivered once, even when the Queue hands it over again", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, verification(to));
    expect(res.status).toBe(201);
    await h.deliverNotifications();
    const row = await rowOf(h, res.body.id);
    expect(row).toMatchObject({ status: "sent", provider: "resend", attempts: 1 });
    expect(row?.providerMessageId).toBeTruthy();
    expect(await emailsAt(to)).toHaveLength(1);

    // At-least-once: the same message again (a redelivery) changes nothing.
    h.queue.sent.push({ body: { id: res.body.id }, delaySeconds: 0 });
    await h.deliverNotifications();
    expect(await emailsAt(to)).toHaveLength(1);
    expect((await rowOf(h, res.body.id))?.attempts).toBe(1);
  });

  it("a consumer that died after the provider accepted sends again with the same key: one email", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, verification(to));
    const sealed = (await rowOf(h, res.body.id))?.sealedVariables;
    await h.deliverNotifications();
    const first = await rowOf(h, res.body.id);
    // As if the consumer crashed after Resend accepted, before recording `sent` (the row still
    // queued, its sealed link not yet erased).
    await h.db
      .update(notifications)
      .set({ status: "queued", sentAt: null, sealedVariables: sealed })
      .where(eq(notifications.id, res.body.id));
    h.queue.sent.push({ body: { id: res.body.id }, delaySeconds: 0 });
    await h.deliverNotifications();
    const again = await rowOf(h, res.body.id);
    expect(again?.status).toBe("sent");
    expect(again?.attempts).toBe(2);
    // Resend answered the replay with the original message: one email, sent once.
    expect(again?.providerMessageId).toBe(first?.providerMessageId);
    const received = await emailsAt(to);
    expect(received).toHaveLength(1);
    expect(received[0]?.attempts).toBe(2);
  });

  it("two deliveries of one row at once: one send (the lease)", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, verification(to));
    h.queue.sent.push({ body: { id: res.body.id }, delaySeconds: 0 });
    expect(h.queue.sent).toHaveLength(2);
    await h.deliverNotifications();
    expect(await emailsAt(to)).toHaveLength(1);
    expect(await rowOf(h, res.body.id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("a WhatsApp send whose earlier try left no outcome fails for an admin instead of going twice", async (t) => {
    const h = await harness(t);
    const phone = `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    const whatsapp = await notify(h, {
      channel: "whatsapp",
      to: phone,
      template: "class_reminder",
      variables: getTemplate("class_reminder").sample,
      transactional: true,
    });
    const to = address();
    const email = await notify(h, verification(to));
    // As if a consumer leased both, called the provider, and died before recording anything.
    for (const id of [whatsapp.body.id, email.body.id]) {
      await h.db
        .update(notifications)
        .set({ attempts: 1, lockedUntil: new Date(Date.now() - 1_000) })
        .where(eq(notifications.id, id));
    }
    await h.deliverNotifications();
    const stuck = await rowOf(h, whatsapp.body.id);
    expect(stuck).toMatchObject({ status: "failed", attempts: 2 });
    expect(stuck?.lastError).toContain("OUTCOME_UNKNOWN");
    const sent = await fetch(
      `${FAKE_WHATSAPP}/__messages?to=${encodeURIComponent(phone.slice(1))}`,
    );
    expect(await sent.json()).toEqual([]);
    // Email goes again: Resend deduplicates on the row id.
    expect(await rowOf(h, email.body.id)).toMatchObject({ status: "sent" });
    expect(await emailsAt(to)).toHaveLength(1);
    // The admin who checked retries it: it goes, once.
    const admin = await h.asAdmin();
    const retried = await h.post(`/v1/admin/notifications/${whatsapp.body.id}/retry`, undefined, {
      headers: admin.auth,
    });
    expect(retried.status).toBe(202);
    await h.deliverNotifications();
    expect(await rowOf(h, whatsapp.body.id)).toMatchObject({ status: "sent" });
    const after = await fetch(`${FAKE_WHATSAPP}/__messages?to=${encodeURIComponent(phone)}`);
    expect(await after.json()).toHaveLength(1);
  });

  it("fails three times, ends failed and visible to admins, and succeeds on an admin's retry", async (t) => {
    const h = await harness(t);
    const to = address();
    await fetch(`${FAKE_EMAIL}/__faults`, {
      method: "POST",
      body: JSON.stringify({ to, failures: 3 }),
    });
    const res = await notify(h, verification(to));
    const rounds = await h.deliverNotifications();
    // Two retries with growing backoff (base 2 s locally: [1, 2] then [2, 4]), then the DLQ.
    expect(rounds.map((r) => r.retried.length)).toEqual([1, 1, 1]);
    const [d1, d2] = rounds.map((r) => r.retried[0]?.delaySeconds ?? -1);
    expect(d1).toBeGreaterThanOrEqual(1);
    expect(d1).toBeLessThanOrEqual(2);
    expect(d2).toBeGreaterThanOrEqual(2);
    expect(d2).toBeLessThanOrEqual(4);
    expect(rounds[2]?.deadLettered).toEqual([res.body.id]);
    const failed = await rowOf(h, res.body.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 3 });
    expect(failed?.lastError).toMatch(/503|unavailable/i);
    expect(failed?.sealedVariables).toBeTruthy();
    expect(await emailsAt(to)).toEqual([]);

    const admin = await h.asAdmin();
    const list = await h.get<{ data: { id: string; status: string; lastError: string }[] }>(
      "/v1/admin/notifications?status=failed",
      { headers: admin.auth },
    );
    expect(list.status).toBe(200);
    expect(list.body.data.map((n) => n.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain("token=");

    const retry = await h.post(`/v1/admin/notifications/${res.body.id}/retry`, undefined, {
      headers: admin.auth,
    });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ id: res.body.id, status: "queued" });
    expect(h.queue.sent.map((s) => s.body)).toEqual([{ id: res.body.id, generation: 1 }]);
    // The Queue may move the last failed try to the dead-letter queue only now, after the
    // retry: that dead letter (generation 0) leaves the retried row alone.
    const { createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const late = createMessageBatch("notifications-dlq", [
      { id: "late", timestamp: Date.now(), attempts: 1, body: { id: res.body.id, generation: 0 } },
    ]);
    const lateCtx = createExecutionContext();
    await createWorker(appWithNotifyRoute()).queue?.(late, h.env as never, lateCtx);
    await getQueueResult(late, lateCtx);
    expect((await rowOf(h, res.body.id))?.status).toBe("queued");
    await h.deliverNotifications();
    const sent = await rowOf(h, res.body.id);
    expect(sent).toMatchObject({ status: "sent", attempts: 4, sealedVariables: null });
    const received = await emailsAt(to);
    expect(received).toHaveLength(1);
    expect(received[0]?.text).toContain("/verify-email?token=");

    // Only a failed one can be retried.
    const again = await h.post(`/v1/admin/notifications/${res.body.id}/retry`, undefined, {
      headers: admin.auth,
    });
    expect(again.status).toBe(409);
    const audit = await h.db.execute(
      `select count(*)::int as n from audit_logs where action = 'notification.retry' and entity_id = '${res.body.id}'`,
    );
    expect(audit.rows[0]).toMatchObject({ n: 1 });
  });

  it("a 429's Retry-After wins over a shorter backoff", async (t) => {
    const h = await harness(t);
    const template = getTemplate("class_reminder");
    // The fake WhatsApp answers numbers ending 0429 with 429 and Retry-After: 7.
    const res = await notify(h, {
      channel: "whatsapp",
      to: `+9198${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}0429`,
      template: "class_reminder",
      variables: template.sample,
      transactional: true,
    });
    expect(res.status).toBe(201);
    const rounds = await h.deliverNotifications({ rounds: 1 });
    expect(rounds[0]?.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(7);
    const row = await rowOf(h, res.body.id);
    expect(row?.status).toBe("queued");
    expect(row?.lastError).toMatch(/429|RATE_LIMITED/);
  });

  it("a permanent refusal fails at once, without retries", async (t) => {
    const h = await harness(t);
    // 131047: outside WhatsApp's 24-hour window.
    const res = await notify(h, {
      channel: "whatsapp",
      to: `+9198${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}0047`,
      template: "class_reminder",
      variables: getTemplate("class_reminder").sample,
      transactional: true,
    });
    const rounds = await h.deliverNotifications();
    expect(rounds).toHaveLength(1);
    expect(rounds[0]?.retried).toEqual([]);
    const row = await rowOf(h, res.body.id);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row?.lastError).toContain("WHATSAPP_WINDOW_CLOSED");
  });

  it("keeps a token link sealed at rest and erases it once sent", async (t) => {
    const h = await harness(t);
    const to = address();
    const token = `secret-${unique()}`;
    const res = await notify(h, verification(to, token));
    const queued = await rowOf(h, res.body.id);
    expect(JSON.stringify(queued?.variables)).not.toContain(token);
    expect(queued?.sealedVariables).toBeTruthy();
    expect(queued?.sealedVariables).not.toContain(token);
    await h.deliverNotifications();
    expect((await rowOf(h, res.body.id))?.sealedVariables).toBeNull();
    expect((await emailsAt(to))[0]?.text).toContain(token);
  });

  it("refuses a template's secret passed as a plain variable, and a request that cannot render", async (t) => {
    const h = await harness(t);
    const to = address();
    const leaked = await notify(h, {
      ...verification(to),
      variables: { name: "A", link: "http://127.0.0.1:3000/verify-email?token=x" },
      secrets: {},
    });
    expect(leaked.status).toBe(500);
    const broken = await notify(h, { ...verification(to), variables: { name: 42 } });
    expect(broken.status).toBe(500);
    const rows = await h.db.select().from(notifications).where(eq(notifications.toAddress, to));
    expect(rows).toEqual([]);
  });

  it("records a send to an opted-out address as suppressed and queues nothing", async (t) => {
    const h = await harness(t);
    const to = address();
    await h.db.insert(suppressions).values({
      channel: "email",
      address: to,
      reason: "hard_bounce",
      scope: "all",
      source: "test",
    });
    const res = await notify(h, verification(to));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("suppressed");
    expect(await rowOf(h, res.body.id)).toMatchObject({
      status: "suppressed",
      sealedVariables: null,
    });
    expect(h.queue.history).toEqual([]);
  });

  it("an email unsubscribe stops marketing but not a password reset", async (t) => {
    const h = await harness(t);
    const to = address();
    await h.db.insert(suppressions).values({
      channel: "email",
      address: to,
      reason: "unsubscribe",
      scope: "marketing",
      source: "test",
    });
    const transactional = await notify(h, verification(to));
    expect(transactional.body.status).toBe("queued");
    const marketing = await notify(h, {
      channel: "email",
      to,
      template: "lead_follow_up",
      variables: omit(getTemplate("lead_follow_up").sample, "unsubscribeLink"),
      secrets: { unsubscribeLink: "http://127.0.0.1:3000/unsubscribe?t=x" },
      transactional: false,
    });
    expect(marketing.body.status).toBe("suppressed");
  });

  it("checks opt-outs again at delivery", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, verification(to));
    await h.db
      .insert(suppressions)
      .values({ channel: "email", address: to, reason: "complaint", scope: "all", source: "test" });
    await h.deliverNotifications();
    expect(await rowOf(h, res.body.id)).toMatchObject({ status: "suppressed" });
    expect(await emailsAt(to)).toEqual([]);
  });

  it("holds marketing until quiet hours end, and hands it to the Queue with that delay", async (t) => {
    const h = await harness(t);
    const res = await notify(h, {
      channel: "email",
      to: address(),
      template: "lead_follow_up",
      variables: omit(getTemplate("lead_follow_up").sample, "unsubscribeLink"),
      secrets: { unsubscribeLink: "http://127.0.0.1:3000/unsubscribe?t=x" },
      transactional: false,
    });
    const row = await rowOf(h, res.body.id);
    const expected = afterQuietHours(row?.createdAt ?? new Date());
    expect(Math.abs((row?.notBefore.getTime() ?? 0) - expected.getTime())).toBeLessThan(2_000);
    const delay = h.queue.history[0]?.delaySeconds ?? -1;
    const wanted = Math.max(0, Math.ceil((expected.getTime() - Date.now()) / 1000));
    expect(Math.abs(delay - wanted)).toBeLessThanOrEqual(2);
  });

  it("holds marketing that reaches the consumer in quiet hours until 09:00 IST", async (t) => {
    const h = await harness(t);
    const to = address();
    const res = await notify(h, {
      channel: "email",
      to,
      template: "lead_follow_up",
      variables: omit(getTemplate("lead_follow_up").sample, "unsubscribeLink"),
      transactional: false,
    });
    // Due now (e.g. queued at 20:59, or retried): the consumer runs at 23:00 IST.
    await h.db
      .update(notifications)
      .set({ notBefore: new Date(Date.now() - 60_000) })
      .where(eq(notifications.id, res.body.id));
    h.queue.sent.splice(0);
    const at = new Date("2026-12-07T23:00:00+05:30");
    const { createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const { handleNotificationBatch } = await import("../../src/jobs/notifications");
    const batch = createMessageBatch("notifications", [
      { id: "q", timestamp: Date.now(), attempts: 1, body: { id: res.body.id } },
    ]);
    const ctx = createExecutionContext();
    await handleNotificationBatch(batch, h.env as never, { now: () => at });
    await getQueueResult(batch, ctx);
    const row = await rowOf(h, res.body.id);
    expect(row).toMatchObject({ status: "queued", attempts: 0 });
    expect(row?.notBefore.toISOString()).toBe(new Date("2026-12-08T09:00:00+05:30").toISOString());
    expect(h.queue.sent).toEqual([
      { body: { id: res.body.id, generation: 0 }, delaySeconds: 36_000 },
    ]);
    expect(await emailsAt(to)).toEqual([]);
  });

  it("the every-minute sweep hands over what a request could not", async (t) => {
    const h = await harness(t);
    const to = address();
    h.queue.failNext = 1;
    const res = await notify(h, verification(to));
    expect(res.status).toBe(201);
    expect(h.queue.history).toEqual([]);
    expect((await rowOf(h, res.body.id))?.enqueuedAt).toBeNull();

    const worker = createWorker(appWithNotifyRoute());
    const ctx = createExecutionContext();
    await worker.scheduled?.(createScheduledController({ cron: "* * * * *" }), h.env as never, ctx);
    expect(h.queue.sent.map((s) => s.body.id)).toEqual([res.body.id]);
    expect((await rowOf(h, res.body.id))?.enqueuedAt).not.toBeNull();
    await h.deliverNotifications();
    expect(await rowOf(h, res.body.id)).toMatchObject({ status: "sent" });
    expect(await emailsAt(to)).toHaveLength(1);

    // A row handed over moments ago is left to its Queue message.
    const fresh = await notify(h, verification(address()));
    h.queue.sent.splice(0);
    await worker.scheduled?.(createScheduledController({ cron: "* * * * *" }), h.env as never, ctx);
    expect(h.queue.sent.map((s) => s.body.id)).not.toContain(fresh.body.id);
  });

  it("the dead-letter consumer fails whatever reaches it still queued", async (t) => {
    const h = await harness(t);
    const res = await notify(h, verification(address()));
    const { createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const worker = createWorker(appWithNotifyRoute());
    const batch = createMessageBatch("notifications-dlq", [
      { id: "x", timestamp: Date.now(), attempts: 1, body: { id: res.body.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue?.(batch, h.env as never, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
    expect(await rowOf(h, res.body.id)).toMatchObject({
      status: "failed",
      lastError: "dead-lettered",
    });
  });
});

describe("quiet hours (21:00–09:00 IST)", () => {
  const ist = (iso: string) => new Date(`${iso}+05:30`);
  it.for([
    ["2026-12-07T20:59:59", "2026-12-07T20:59:59"],
    ["2026-12-07T21:00:00", "2026-12-08T09:00:00"],
    ["2026-12-07T23:59:59", "2026-12-08T09:00:00"],
    ["2026-12-08T00:00:00", "2026-12-08T09:00:00"],
    ["2026-12-08T08:59:59", "2026-12-08T09:00:00"],
    ["2026-12-08T09:00:00", "2026-12-08T09:00:00"],
  ])("%s IST → %s IST", ([at, expected]) => {
    if (!at || !expected) throw new Error("fixture");
    expect(afterQuietHours(ist(at)).toISOString()).toBe(ist(expected).toISOString());
  });
});

describe("admin notification routes", () => {
  it("are for admins only", async (t) => {
    const h = await harness(t);
    const student = await h.asStudent();
    const id = crypto.randomUUID();
    for (const [method, path] of [
      ["GET", "/v1/admin/notifications"],
      ["POST", `/v1/admin/notifications/${id}/retry`],
      ["GET", "/v1/admin/notifications/templates/password_reset/preview"],
    ] as const) {
      expect((await h.request(method, path)).status, path).toBe(401);
      expect(
        (await h.request(method, path, undefined, { headers: student.auth })).status,
        path,
      ).toBe(403);
    }
    const admin = await h.asAdmin();
    expect(
      (await h.post(`/v1/admin/notifications/${id}/retry`, undefined, { headers: admin.auth }))
        .status,
    ).toBe(404);
  });

  it("previews every template on each of its channels", async (t) => {
    const h = await harness(t);
    const admin = await h.asAdmin();
    const { templateNames } = await import("../../src/lib/notifications/templates");
    for (const name of templateNames) {
      const res = await h.get<{ email?: { subject: string }; sms?: { segments: number } }>(
        `/v1/admin/notifications/templates/${name}/preview`,
        { headers: admin.auth },
      );
      expect(res.status, name).toBe(200);
      expect(res.body.email?.subject ?? res.body.sms?.segments, name).toBeTruthy();
    }
    const unknown = await h.get("/v1/admin/notifications/templates/nope/preview", {
      headers: admin.auth,
    });
    expect(unknown.status).toBe(400);
  });
});

function omit<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}
