/**
 * The real app plus a few routes that exist only in tests: a write endpoint exercising the
 * validation building blocks, a route that faults on purpose, and one that touches Postgres.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { createApp } from "../../src/app";
import { errorResponses, jsonBody, jsonContent } from "../../src/lib/openapi";
import { email, richText, text } from "../../src/lib/validation";

export const EchoBody = z.strictObject({
  name: text({ max: 20 }),
  email: email(),
  bio: richText({ max: 500 }).optional(),
});

export function createTestApp() {
  const app = createApp();
  app.openapi(
    createRoute({
      method: "post",
      path: "/__test/echo",
      request: { body: jsonBody(EchoBody) },
      responses: { 200: jsonContent(EchoBody, "echo"), ...errorResponses() },
    }),
    (c) => c.json(c.req.valid("json"), 200),
  );
  app.get("/__test/fault", (c) => {
    throw new Error(`forced fault ${c.req.query("marker") ?? ""}`);
  });
  app.get("/__test/db", async (c) => {
    await c.get("services").db.execute(sql`select 1`);
    return c.json({ ok: true });
  });
  app.get("/__test/db-http", async (c) => {
    await c.get("services").http.execute(sql`select 1`);
    return c.json({ ok: true });
  });
  app.get("/__test/bad-sql-http", async (c) => {
    await c
      .get("services")
      .http.execute(sql`select * from no_such_table where secret = ${c.req.query("marker") ?? ""}`);
    return c.json({ ok: true });
  });
  app.get("/__test/bad-sql", async (c) => {
    await c
      .get("services")
      .db.execute(sql`select * from no_such_table where secret = ${c.req.query("marker") ?? ""}`);
    return c.json({ ok: true });
  });
  return app;
}
