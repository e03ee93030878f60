/**
 * The legacy `email_outbox` table: no longer written (every message goes through the
 * `notifications` outbox), kept until the retention purge drains it. What it still holds must
 * never carry a live token.
 */
import { eq, sql } from "drizzle-orm";
import type { TestContext } from "vitest";
import { describe, expect, it } from "vitest";
import migration0010 from "../../migrations/0010_audit_ids_outbox_keys.sql?raw";
import { emailOutbox } from "../../src/db/schema";
import { Harness } from "../support/harness";

async function setup(t: TestContext) {
  return { h: await Harness.init(t) };
}

const unique = (prefix = "user") => `${prefix}@${crypto.randomUUID().slice(0, 8)}.example.in`;

async function outboxRows(h: Harness, to: string) {
  return h.db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, to));
}

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
