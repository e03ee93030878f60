/**
 * The real app plus a few routes that exist only in tests: a write endpoint exercising the
 * validation building blocks, a route that faults on purpose, one that touches Postgres, and
 * creating routes behind the Idempotency-Key middleware.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { createApp } from "../../src/app";
import { auditLogs } from "../../src/db/schema";
import { runAs } from "../../src/db/transaction";
import { auditValues } from "../../src/lib/audit";
import type { AppEnv } from "../../src/lib/context";
import { conflict } from "../../src/lib/errors";
import { idempotency, idempotencyKeyHeaders } from "../../src/lib/idempotency";
import { errorResponses, jsonBody, jsonContent } from "../../src/lib/openapi";
import { type ServiceContext, serviceContext } from "../../src/lib/service-context";
import { email, richText, text } from "../../src/lib/validation";
import { requireAuth } from "../../src/middleware/auth";

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
  registerIdempotentRoutes(app);
  return app;
}

/** The audit action of the effect the idempotent test routes make (one row per effect). */
export const NOTE_ACTION = "test.note";

export const NoteBody = z.strictObject({
  note: z.string().min(1).max(100),
  /** Milliseconds the service waits inside its transaction, before completing the key. */
  delayMs: z.number().int().min(0).max(10_000).optional(),
  /**
   * conflict: a 409 thrown in the transaction; fault: a 500 thrown in it; after-complete: a
   * 500 after complete() in the same transaction; route: a 500 in the route after the commit;
   * mismatch: the route sends another body than the one the service stored.
   */
  fail: z.enum(["conflict", "fault", "after-complete", "route", "mismatch"]).optional(),
});
export type NoteInput = z.infer<typeof NoteBody>;
const NoteSchema = z.object({ id: z.string(), note: z.string(), mode: z.string() });
type Note = z.infer<typeof NoteSchema>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A service verb shaped like a real one: the effect (an audit row standing in for an
 * enrolment) and `ctx.idempotency.complete` in one transaction, on the Pool (`pool`) or in one
 * HTTP batch (`http`); `fallback` never completes (the middleware stores the response).
 */
async function createNote(
  ctx: ServiceContext,
  mode: "pool" | "http" | "fallback",
  input: NoteInput,
): Promise<Note> {
  const note: Note = { id: crypto.randomUUID(), note: input.note, mode };
  const effect = auditValues(ctx.audit, {
    action: NOTE_ACTION,
    entityType: "note",
    entityId: note.id,
    after: { note: input.note },
  });
  const response = { status: 201, body: note, headers: { Location: `/__test/notes/${note.id}` } };
  if (mode === "http") {
    await runAs(ctx.http, ctx.actor, async (q) => {
      const insert = q.insert(auditLogs).values(effect);
      if (input.fail === "after-complete" && ctx.idempotency) {
        await q.batch([
          insert,
          ctx.idempotency.complete(q, response),
          q.execute(sql`select * from no_such_table`),
        ]);
      } else if (ctx.idempotency) {
        await q.batch([insert, ctx.idempotency.complete(q, response)]);
      } else {
        await insert;
      }
    });
    return note;
  }
  await runAs(ctx.db, ctx.actor, async (tx) => {
    await tx.insert(auditLogs).values(effect);
    if (input.delayMs) await sleep(input.delayMs);
    if (input.fail === "conflict") throw conflict("The note conflicts (on purpose).");
    if (input.fail === "fault") throw new Error("forced fault in the transaction");
    if (mode === "pool") await ctx.idempotency?.complete(tx, response);
    if (input.fail === "after-complete") throw new Error("forced fault after complete");
  });
  return note;
}

/** requireAuth when a token is sent; anonymous (scoped by address) otherwise. */
const optionalAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("Authorization")) return requireAuth()(c, next);
  await next();
};

function registerIdempotentRoutes(app: OpenAPIHono<AppEnv>) {
  for (const required of [false, true]) {
    const route = createRoute({
      method: "post",
      path: required ? "/__test/idem-required/{mode}" : "/__test/idem/{mode}",
      operationId: required ? "testRequiredIdempotentNote" : "testIdempotentNote",
      middleware: [optionalAuth, idempotency({ required })] as const,
      request: {
        params: z.object({ mode: z.enum(["pool", "http", "fallback"]) }),
        headers: idempotencyKeyHeaders({ required }),
        body: jsonBody(NoteBody),
      },
      responses: {
        ...errorResponses(409, 422),
        201: jsonContent(NoteSchema, "The note"),
      },
    });
    app.openapi(route, async (c) => {
      const input = c.req.valid("json");
      const note = await createNote(serviceContext(c), c.req.valid("param").mode, input);
      if (input.fail === "route") throw new Error("forced fault in the route, after the commit");
      const body = input.fail === "mismatch" ? { ...note, extra: true } : note;
      return c.json(body, 201, { Location: `/__test/notes/${note.id}` });
    });
  }
}
