/**
 * One-click unsubscribe (RFC 8058) from marketing email: the outbox makes the link, the link
 * opens a page, the POST suppresses marketing email to that address and nothing else.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notifications, suppressions } from "../../src/db/schema";
import { openVariables } from "../../src/lib/notifications/seal";
import { getTemplate } from "../../src/lib/notifications/templates";
import { unsubscribeToken } from "../../src/lib/notifications/unsubscribe";
import { Harness } from "../support/harness";
import { appWithNotifyRoute } from "../support/notify-app";

const followUp = (to: string) => {
  const { unsubscribeLink: _made, ...variables } = getTemplate("lead_follow_up").sample;
  return { channel: "email", to, template: "lead_follow_up", variables, transactional: false };
};
const reset = (to: string) => ({
  channel: "email",
  to,
  template: "password_reset",
  variables: { name: "Priya" },
  secrets: { link: "http://127.0.0.1:3000/reset-password?token=x" },
  transactional: true,
});

describe("unsubscribe", () => {
  it("marketing email carries a one-click link that stops marketing, not account email", async (t) => {
    const h = await Harness.init(t, { app: appWithNotifyRoute() });
    const to = `lead-${crypto.randomUUID().slice(0, 8)}@example.in`;
    const queued = await h.post<unknown, { id: string }>("/__test/notify", {
      request: followUp(to),
    });
    expect(queued.status).toBe(201);
    const [row] = await h.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, queued.body.id));
    expect(JSON.stringify(row?.variables)).not.toContain("unsubscribe");
    const opened = await openVariables(
      h.env.JWT_SECRET,
      queued.body.id,
      row?.sealedVariables ?? "",
    );
    const link = new URL(String(opened?.unsubscribeLink));
    expect(link.pathname).toBe("/v1/unsubscribe");

    const page = await h.get(`${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain('method="post"');
    // A GET (a link scanner) changes nothing.
    expect(await h.db.select().from(suppressions).where(eq(suppressions.address, to))).toEqual([]);

    const done = await h.post(`${link.pathname}${link.search}`, undefined, {
      raw: "List-Unsubscribe=One-Click",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(done.status).toBe(200);
    const again = await h.post(`${link.pathname}${link.search}`);
    expect(again.status).toBe(200);
    expect(await h.db.select().from(suppressions).where(eq(suppressions.address, to))).toEqual([
      expect.objectContaining({ reason: "unsubscribe", scope: "marketing" }),
    ]);

    const marketing = await h.post<unknown, { status: string }>("/__test/notify", {
      request: followUp(to),
    });
    expect(marketing.body.status).toBe("suppressed");
    const account = await h.post<unknown, { status: string }>("/__test/notify", {
      request: reset(to),
    });
    expect(account.body.status).toBe("queued");
  });

  it("refuses a link that is not ours", async (t) => {
    const h = await Harness.init(t);
    const valid = await unsubscribeToken(h.env.JWT_SECRET, "someone@example.in");
    const [encoded, mac] = valid.split(".");
    const other = await unsubscribeToken(
      "another-secret-0123456789abcdef0123",
      "someone@example.in",
    );
    for (const token of [
      `${encoded}.${"0".repeat(mac?.length ?? 32)}`,
      `${btoa("victim@example.in").replace(/=+$/, "")}.${mac}`,
      other,
      "not-a-token-at-all",
    ]) {
      const res = await h.post(`/v1/unsubscribe?token=${encodeURIComponent(token)}`);
      expect(res.status, token).toBe(400);
      expect(res.body).toMatchObject({ code: "VALIDATION_FAILED" });
    }
    expect(
      await h.db.select().from(suppressions).where(eq(suppressions.address, "someone@example.in")),
    ).toEqual([]);
  });
});
