import { eq, sql } from "drizzle-orm";
import type { TestContext } from "vitest";
import { describe, expect, it, vi } from "vitest";
import migration0010 from "../../migrations/0010_audit_ids_outbox_keys.sql?raw";
import { createDb } from "../../src/db/client";
import { emailOutbox } from "../../src/db/schema";
import {
  createEmailSender,
  devMailbox,
  type EmailMessage,
  passwordResetEmail,
} from "../../src/lib/email";
import { AppError } from "../../src/lib/errors";
import { Harness } from "../support/harness";

/** The key test/support/node/fake-email.ts accepts. */
const FAKE_KEY = "re_test_fake_0123456789abcdef";
const WRONG_KEY = "re_live_wrong_SECRET_9f8e7d6c5b4a";
const FROM = "Coaching <no-reply@coaching.test>";

interface ReceivedEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  tags?: { name: string; value: string }[];
  idempotencyKey?: string;
}

/** A runtime-role (RLS-enforced) database handle on this file's database, like a request's. */
async function setup(t: TestContext) {
  const h = await Harness.init(t);
  const handle = createDb({
    url: h.env.DATABASE_URL,
    wsProxy: h.env.NEON_WS_PROXY,
    httpEndpoint: h.env.NEON_HTTP_ENDPOINT,
    timeoutMs: 5_000,
  });
  t.onTestFinished(() => handle.close());
  return { h, db: handle.http };
}

const unique = (prefix = "user") => `${prefix}@${crypto.randomUUID().slice(0, 8)}.example.in`;

function message(to: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to,
    ...passwordResetEmail({
      name: "Asha",
      link: "https://app.coaching.test/reset-password?token=abc",
    }),
    ...overrides,
  };
}

async function received(h: Harness, to: string): Promise<ReceivedEmail[]> {
  const res = await fetch(`${h.env.TEST_FAKE_EMAIL_URL}/__messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as ReceivedEmail[];
}

async function outboxRows(h: Harness, to: string) {
  return h.db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, to));
}

async function sendError(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

/** Everything an error could carry into logs or Sentry: message, stack, causes. */
function everythingIn(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) {
      parts.push(e.name, e.message, e.stack ?? "", JSON.stringify(e));
      if (e instanceof AppError) parts.push(JSON.stringify(e.extensions ?? {}));
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join("\n");
}

describe("Resend sender against the fake Resend API", () => {
  const resend = (
    h: Harness,
    db: Parameters<typeof createEmailSender>[0]["db"],
    opts: { apiKey?: string; timeoutMs?: number } = {},
  ) =>
    createEmailSender({
      provider: "resend",
      apiKey: opts.apiKey ?? FAKE_KEY,
      from: FROM,
      baseUrl: h.env.TEST_FAKE_EMAIL_URL,
      timeoutMs: opts.timeoutMs,
      db,
    });

  it("delivers the message and records the provider id in a `sent` outbox row", async (t) => {
    const { h, db } = await setup(t);
    const to = unique();
    const result = await resend(h, db).send(message(to));

    const [mail, ...others] = await received(h, to);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({
      id: result.id,
      from: FROM,
      to: [to],
      subject: "Reset your password",
      tags: [{ name: "template", value: "password_reset" }],
      idempotencyKey: result.outboxId,
    });
    expect(mail?.text).toContain("https://app.coaching.test/reset-password?token=abc");
    expect(mail?.html).toContain('href="https://app.coaching.test/reset-password?token=abc"');
    expect(result.provider).toBe("resend");

    const rows = await outboxRows(h, to);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: result.outboxId,
      status: "sent",
      provider: "resend",
      providerMessageId: result.id,
      template: "password_reset",
      subject: "Reset your password",
      error: null,
    });
    expect(rows[0]?.sentAt).toBeInstanceOf(Date);
    // Metadata only: the link's token is in no column.
    expect(rows[0]).toMatchObject({ textBody: null, htmlBody: null, links: [] });
    expect(JSON.stringify(rows[0])).not.toContain("token=abc");
  });

  it("passes a caller's idempotency key: a retried send is delivered once", async (t) => {
    const { h, db } = await setup(t);
    const to = unique();
    const sender = resend(h, db);
    const first = await sender.send(message(to, { idempotencyKey: "reset-42" }));
    const retry = await sender.send(message(to, { idempotencyKey: "reset-42" }));
    expect(retry.id).toBe(first.id);
    expect(await received(h, to)).toHaveLength(1);
  });

  it.for([
    ["a wrong API key (403 invalid_api_key)", (to: string) => to, WRONG_KEY, /403 invalid_api_key/],
    ["a provider fault (500)", (to: string) => `fail-500@${to.split("@")[1]}`, FAKE_KEY, /500/],
    ["rate limiting (429)", (to: string) => `rate-429@${to.split("@")[1]}`, FAKE_KEY, /429/],
    ["an invalid recipient (422)", () => "not-an-address", FAKE_KEY, /422 validation_error/],
  ] as const)(
    "%s → 502 EXTERNAL_SERVICE_ERROR and a `failed` outbox row",
    async ([, recipient, apiKey, why], t) => {
      const { h, db } = await setup(t);
      const to = recipient(unique());
      const err = await sendError(resend(h, db, { apiKey }).send(message(to)));
      expect(err.status).toBe(502);
      expect(err.code).toBe("EXTERNAL_SERVICE_ERROR");
      expect(err.extensions).toEqual({ service: "email" });
      expect(String((err.cause as Error).message)).toMatch(why);
      expect(everythingIn(err)).not.toContain(apiKey);

      const rows = await outboxRows(h, to);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: "failed",
        provider: "resend",
        providerMessageId: null,
      });
      expect(rows[0]?.error).toMatch(why);
      expect(JSON.stringify(rows[0])).not.toContain(apiKey);
      expect(await received(h, to)).toEqual([]);
    },
  );

  it("a provider that does not answer in time → 502 and a `failed` row", async (t) => {
    const { h, db } = await setup(t);
    const to = `slow@${unique().split("@")[1]}`;
    // The fake answers after 3 s: the cause proves the 300 ms timeout fired first.
    const err = await sendError(resend(h, db, { timeoutMs: 300 }).send(message(to)));
    expect(err.status).toBe(502);
    expect((err.cause as Error).message).toMatch(/did not answer within 300 ms/);
    const rows = await outboxRows(h, to);
    expect(rows.map((r) => r.status)).toEqual(["failed"]);
  });

  // workerd logs its own "Connection refused / Network connection lost" lines here: expected.
  it("an unreachable provider → 502", async (t) => {
    const { h, db } = await setup(t);
    const to = unique();
    const sender = createEmailSender({
      provider: "resend",
      apiKey: FAKE_KEY,
      from: FROM,
      baseUrl: `http://127.0.0.1:${h.env.TEST_CLOSED_PORT}`,
      db,
    });
    const err = await sendError(sender.send(message(to)));
    expect(err.status).toBe(502);
    expect(everythingIn(err)).not.toContain(FAKE_KEY);
    expect((await outboxRows(h, to)).map((r) => r.status)).toEqual(["failed"]);
  });

  it("resend without an API key is a configuration error", async (t) => {
    const { db } = await setup(t);
    expect(() => createEmailSender({ provider: "resend", from: FROM, db })).toThrowError(
      expect.objectContaining({ code: "BAD_ENVIRONMENT" }),
    );
  });
});

describe("development outbox sender", () => {
  it("stores the message (status `stored`) and prints one console line with its links", async (t) => {
    const { h, db } = await setup(t);
    const to = unique();
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    t.onTestFinished(() => info.mockRestore());

    const result = await createEmailSender({ provider: "outbox", from: FROM, db }).send(
      message(to),
    );
    expect(result).toEqual({ id: result.outboxId, provider: "outbox", outboxId: result.outboxId });

    const rows = await outboxRows(h, to);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: result.outboxId,
      status: "stored",
      provider: "outbox",
      providerMessageId: null,
      template: "password_reset",
      subject: "Reset your password",
      sentAt: null,
      textBody: null,
      htmlBody: null,
      links: [],
    });
    expect(JSON.stringify(rows[0])).not.toContain("token=abc");
    // The link lives only in the console line and the isolate's dev mailbox.
    expect(devMailbox.get(result.outboxId)?.links).toEqual([
      "https://app.coaching.test/reset-password?token=abc",
    ]);

    const lines = info.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toEqual([
      {
        level: "info",
        msg: "email (dev outbox)",
        to,
        subject: "Reset your password",
        links: ["https://app.coaching.test/reset-password?token=abc"],
      },
    ]);
    expect(await received(h, to)).toEqual([]);
  });

  it("the outbox write needs no privileges from the caller: RLS still hides rows from it", async (t) => {
    const { h, db } = await setup(t);
    const to = unique();
    vi.spyOn(console, "info").mockImplementationOnce(() => undefined);
    await createEmailSender({ provider: "outbox", from: FROM, db }).send(message(to));
    // The same runtime-role handle outside a system transaction sees nothing.
    expect(await db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, to))).toEqual([]);
    expect(await outboxRows(h, to)).toHaveLength(1);
  });
});

describe("email_outbox never holds a live token", () => {
  const legacyRow = (to: string) => ({
    toAddress: to,
    subject: "Reset your password",
    template: "password_reset",
    textBody: "Choose a new password: https://app.coaching.test/reset-password?token=live",
    htmlBody: '<a href="https://app.coaching.test/reset-password?token=live">reset</a>',
    links: ["https://app.coaching.test/reset-password?token=live"],
    status: "sent" as const,
    provider: "resend",
  });

  it("the database blanks bodies and links whoever writes them (e.g. an older Worker)", async (t) => {
    const { h } = await setup(t);
    const to = unique();
    // Even the owner: the trigger runs for every writer, inserts and updates alike.
    const [row] = await h.db.insert(emailOutbox).values(legacyRow(to)).returning();
    expect(row).toMatchObject({ textBody: null, htmlBody: null, links: [] });
    await h.db
      .update(emailOutbox)
      .set({ textBody: "token=live", links: ["https://x.test/?token=live"] })
      .where(eq(emailOutbox.toAddress, to));
    expect(JSON.stringify(await outboxRows(h, to))).not.toContain("token=live");
  });

  it("the migration cleared rows written before it", async (t) => {
    const { h } = await setup(t);
    const to = unique();
    // A row as an older release stored it: written with the trigger out of the way.
    await h.db.execute(sql`alter table email_outbox disable trigger email_outbox_no_content`);
    try {
      await h.db.insert(emailOutbox).values(legacyRow(to));
    } finally {
      await h.db.execute(sql`alter table email_outbox enable trigger email_outbox_no_content`);
    }
    expect(JSON.stringify(await outboxRows(h, to))).toContain("token=live");
    // The clearing statement exactly as migration 0010 runs it.
    const clearing = migration0010
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .find((s) => s.startsWith("UPDATE email_outbox"));
    expect(clearing).toBeDefined();
    await h.db.execute(sql.raw(clearing ?? ""));
    const [row] = await outboxRows(h, to);
    expect(row).toMatchObject({
      textBody: null,
      htmlBody: null,
      links: [],
      subject: "Reset your password",
    });
  });
});
