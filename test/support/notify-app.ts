/**
 * The real app plus one route that writes a notification through the request's outbox in a
 * transaction, and rolls it back on request: the outbox's contract, tested through the mounted
 * middleware (hand-over after the response) and the real queue() handler.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../../src/app";
import { runAs, SYSTEM } from "../../src/db/transaction";
import type { AppEnv } from "../../src/lib/context";
import type { NotificationRequest } from "../../src/lib/notifications/outbox";
import { serviceContext } from "../../src/lib/service-context";

export function appWithNotifyRoute(): OpenAPIHono<AppEnv> {
  const app = createApp();
  app.post("/__test/notify", async (c) => {
    const body = (await c.req.json()) as { request: NotificationRequest; rollBack?: boolean };
    const ctx = serviceContext(c);
    try {
      const queued = await runAs(ctx.db, SYSTEM, async (tx) => {
        const result = await ctx.outbox.add(tx, body.request);
        if (body.rollBack) throw new Error("rolled back on purpose");
        return result;
      });
      return c.json(queued, 201);
    } catch (err) {
      if (err instanceof Error && err.message === "rolled back on purpose") {
        return c.json({ rolledBack: true }, 409);
      }
      throw err;
    }
  });
  return app;
}
