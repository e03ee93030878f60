/**
 * The Idempotency-Key middleware through the app as the Worker mounts it (test routes in
 * test/support/test-app.ts): replays, reuse, concurrency, scopes, failures, leases, and the
 * record sharing the effect's transaction.
 */
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, type TestContext } from "vitest";
import { idempotencyKeys } from "../../src/db/schema";
import { requestFingerprint } from "../../src/lib/idempotency/fingerprint";
import type { ProblemBody } from "../../src/lib/problem";
import { Harness, type TestResponse } from "../support/harness";
import { createTestApp, NOTE_ACTION, type NoteInput } from "../support/test-app";

type Mode = "pool" | "http" | "fallback";
interface Note {
  id: string;
  note: string;
  mode: string;
}

const init = (t: TestContext) => Harness.init(t, { app: createTestApp() });
const newKey = () => crypto.randomUUID();
const newNote = (): NoteInput => ({ note: `n-${crypto.randomUUID().slice(0, 12)}` });

function send(
  h: Harness,
  body: NoteInput,
  opts: {
    key?: string;
    mode?: Mode;
    headers?: Record<string, string>;
    required?: boolean;
  } = {},
) {
  const path = `/__test/${opts.required ? "idem-required" : "idem"}/${opts.mode ?? "pool"}`;
  const headers = { ...opts.headers };
  if (opts.key !== undefined) headers["Idempotency-Key"] = opts.key;
  return h.post<NoteInput, Note & ProblemBody>(path, body, { headers });
}

/** How many effects (audit rows of the test action) a note has. */
async function effects(h: Harness, note: string): Promise<number> {
  const result = await h.db.execute<{ n: number }>(
    sql`select count(*)::int as n from audit_logs
         where action = ${NOTE_ACTION} and after->>'note' = ${note}`,
  );
  return Number(result.rows[0]?.n ?? 0);
}

const rows = (h: Harness, key: string) =>
  h.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));

function expectCreated(res: TestResponse<Note & ProblemBody>, replayed = false) {
  expect(res.status, res.text).toBe(201);
  expect(res.headers.get("Idempotent-Replayed")).toBe(replayed ? "true" : null);
  expect(res.headers.get("Location")).toBe(`/__test/notes/${res.body.id}`);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
}

function expectProblem(res: TestResponse<Note & ProblemBody>, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({ status, code });
  expect(res.headers.get("Idempotent-Replayed")).toBeNull();
}

describe("replay", () => {
  it.for<Mode>(["pool", "http", "fallback"])(
    "%s: the same key and request replay the first response, byte for byte; one effect",
    async (mode, t) => {
      const h = await init(t);
      const key = newKey();
      const body = newNote();
      const first = await send(h, body, { key, mode });
      expectCreated(first);
      const again = await send(h, body, { key, mode });
      expectCreated(again, true);
      expect(again.text).toBe(first.text);
      expect(again.headers.get("Location")).toBe(first.headers.get("Location"));
      // Every response carries its own request id; the stored one is never replayed.
      expect(again.headers.get("X-Request-Id")).not.toBe(first.headers.get("X-Request-Id"));
      expect(await effects(h, body.note)).toBe(1);
      const [row] = await rows(h, key);
      expect(row).toMatchObject({ state: "completed", responseStatus: 201, lockedUntil: null });
      expect(row?.scope).toBe(`ip:${h.ip}`);
      expect(row?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    },
  );

  it("the same JSON with other whitespace or key order is the same request", async (t) => {
    const h = await init(t);
    const key = newKey();
    const note = newNote().note;
    const first = await h.post<unknown, Note>("/__test/idem/pool", undefined, {
      headers: { "Idempotency-Key": key, "Content-Type": "application/json" },
      raw: JSON.stringify({ note, delayMs: 0 }),
    });
    expect(first.status, first.text).toBe(201);
    const again = await h.post<unknown, Note>("/__test/idem/pool", undefined, {
      headers: { "Idempotency-Key": key, "Content-Type": "application/json" },
      raw: `{ "delayMs": 0,\n  "note": ${JSON.stringify(note)} }`,
    });
    expect(again.status, again.text).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await effects(h, note)).toBe(1);
  });

  it("a quoted key (the draft's Structured Field String) is the same key as the bare one", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    expectCreated(await send(h, body, { key }));
    expectCreated(await send(h, body, { key: `"${key}"` }), true);
    expect(await effects(h, body.note)).toBe(1);
  });

  it("without the header the route runs normally every time", async (t) => {
    const h = await init(t);
    const body = newNote();
    expectCreated(await send(h, body));
    expectCreated(await send(h, body));
    expect(await effects(h, body.note)).toBe(2);
  });

  it("a route whose response differs from what its service stored: the response sent is the one replayed", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body: NoteInput = { ...newNote(), fail: "mismatch" };
    const first = await send(h, body, { key });
    expect(first.body).toMatchObject({ extra: true });
    const again = await send(h, body, { key });
    expectCreated(again, true);
    expect(again.text).toBe(first.text);
  });
});

describe("reuse for another request → 422 IDEMPOTENCY_KEY_REUSED", () => {
  it.for([
    ["another body", { note: "other" }, "pool"],
    ["another path", undefined, "http"],
  ] as const)("%s", async ([, otherBody, otherMode], t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    expectCreated(await send(h, body, { key }));
    const res = await send(h, otherBody ?? body, { key, mode: otherMode });
    expectProblem(res, 422, "IDEMPOTENCY_KEY_REUSED");
    expect(await effects(h, body.note)).toBe(1);
    expect(await effects(h, "other")).toBe(0);
  });
});

describe("concurrency", () => {
  it("10 at once with one key while the first is slow: exactly one effect, the rest 409 with Retry-After", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body: NoteInput = { ...newNote(), delayMs: 1_000 };
    const results = await Promise.all(Array.from({ length: 10 }, () => send(h, body, { key })));
    const firsts = results.filter((r) => r.status === 201 && !r.headers.get("Idempotent-Replayed"));
    expect(firsts, results.map((r) => `${r.status} ${r.text}`).join("\n")).toHaveLength(1);
    const inUse = results.filter((r) => r.status === 409);
    // All ten arrive while the first sleeps in its transaction; on a starved machine a late one
    // may find it finished and get the replay instead, which is also correct.
    expect(inUse.length).toBeGreaterThanOrEqual(5);
    for (const res of results) {
      if (res.status === 409) {
        expectProblem(res, 409, "IDEMPOTENCY_KEY_IN_USE");
        expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
      } else {
        expect(res.status, res.text).toBe(201);
        expect(res.text).toBe(firsts[0]?.text);
      }
    }
    expect(await effects(h, body.note)).toBe(1);
    // Once the first has answered, a retry gets its response.
    const retry = await send(h, body, { key });
    expectCreated(retry, true);
    expect(retry.text).toBe(firsts[0]?.text);
  });

  it("10 at once with one key, fast handler: one effect, every other answer a 409 or the replay", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => send(h, body, { key, mode: "http" })),
    );
    const firsts = results.filter((r) => r.status === 201 && !r.headers.get("Idempotent-Replayed"));
    expect(firsts).toHaveLength(1);
    for (const res of results) {
      expect([201, 409], res.text).toContain(res.status);
      if (res.status === 201) expect(res.text).toBe(firsts[0]?.text);
    }
    expect(await effects(h, body.note)).toBe(1);
  });
});

describe("scopes: a key belongs to its caller", () => {
  it("user A's key does not replay for user B, nor for an anonymous caller on A's address", async (t) => {
    const h = await init(t);
    const [a, b] = [await h.asStudent(), await h.asStudent()];
    const key = newKey();
    const body = newNote();
    const forA = await send(h, body, { key, headers: a.auth });
    expectCreated(forA);
    const forB = await send(h, body, { key, headers: b.auth });
    expectCreated(forB);
    expect(forB.body.id).not.toBe(forA.body.id);
    const anonymous = await send(h, body, { key });
    expectCreated(anonymous);
    expect(await effects(h, body.note)).toBe(3);
    // A, from another address, still gets A's response: the scope is the user, not the address.
    const again = await send(h, body, {
      key,
      headers: { ...a.auth, "CF-Connecting-IP": "192.0.2.77" },
    });
    expectCreated(again, true);
    expect(again.body.id).toBe(forA.body.id);
    const scopes = (await rows(h, key)).map((r) => r.scope).sort();
    expect(scopes).toEqual([`ip:${h.ip}`, `user:${a.id}`, `user:${b.id}`].sort());
  });

  it("anonymous keys are scoped by client address (CF-Connecting-IP), never by what else the client says", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    const here = await send(h, body, { key, headers: { "X-Forwarded-For": "192.0.2.1" } });
    expectCreated(here);
    const elsewhere = await send(h, body, {
      key,
      headers: { "CF-Connecting-IP": "192.0.2.1", "X-Forwarded-For": h.ip },
    });
    expectCreated(elsewhere);
    expect(elsewhere.body.id).not.toBe(here.body.id);
    expectCreated(await send(h, body, { key }), true);
    expect(await effects(h, body.note)).toBe(2);
  });
});

describe("the header", () => {
  it("required: 400 IDEMPOTENCY_KEY_MISSING without it, and nothing runs", async (t) => {
    const h = await init(t);
    const body = newNote();
    expectProblem(await send(h, body, { required: true }), 400, "IDEMPOTENCY_KEY_MISSING");
    expect(await effects(h, body.note)).toBe(0);
    const key = newKey();
    expectCreated(await send(h, body, { key, required: true }));
    expectCreated(await send(h, body, { key, required: true }), true);
    expect(await effects(h, body.note)).toBe(1);
  });

  it.for([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a space", "two words"],
    ["a tab", "a\tb"],
    ["a non-ASCII character", "cl\u00e9"],
    ["an unterminated quoted string", '"abc'],
    ["a quoted string with text after it", '"abc"d'],
    ["a bad escape in a quoted string", '"a\\bc"'],
    ["an empty quoted string", '""'],
  ])("%s → 400 VALIDATION_FAILED naming the header; nothing runs", async ([, key], t) => {
    const h = await init(t);
    const body = newNote();
    const res = await send(h, body, { key });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors).toEqual([{ path: "Idempotency-Key", message: expect.any(String) }]);
    expect(await effects(h, body.note)).toBe(0);
  });

  it("255 visible ASCII characters are a valid key", async (t) => {
    const h = await init(t);
    const key = `${"~!".repeat(127)}Z`;
    expect(key).toHaveLength(255);
    expectCreated(await send(h, newNote(), { key }));
  });

  it("is documented in OpenAPI on the routes that use it, with 409 and 422", async (t) => {
    const h = await init(t);
    const res = await h.get<{
      paths: Record<string, { post: { parameters: unknown[]; responses: object } }>;
    }>("/openapi.json");
    expect(res.status, res.text).toBe(200);
    for (const [path, required] of [
      ["/__test/idem/{mode}", false],
      ["/__test/idem-required/{mode}", true],
    ] as const) {
      const op = res.body.paths[path]?.post;
      expect(op?.parameters).toContainEqual(
        expect.objectContaining({ name: "Idempotency-Key", in: "header", required }),
      );
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(["409", "422"]));
    }
  });
});

describe("failures are not stored: the claim is released", () => {
  it.for([
    ["a 409 thrown by the service", "conflict", 409, "CONFLICT"],
    ["a 500 thrown in the transaction", "fault", 500, "INTERNAL_ERROR"],
  ] as const)(
    "%s: no effect, no record; the retry runs again",
    async ([, fail, status, code], t) => {
      const h = await init(t);
      const key = newKey();
      const body: NoteInput = { ...newNote(), fail };
      expectProblem(await send(h, body, { key }), status, code);
      expect(await rows(h, key)).toEqual([]);
      // Run again, not replayed, and the key is free for a corrected request.
      expectProblem(await send(h, body, { key }), status, code);
      expectCreated(await send(h, { note: body.note }, { key }));
      expect(await effects(h, body.note)).toBe(1);
    },
  );

  it("a route that fails after its service committed: the record stands, and the retry gets the success", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body: NoteInput = { ...newNote(), fail: "route" };
    expectProblem(await send(h, body, { key }), 500, "INTERNAL_ERROR");
    expect(await effects(h, body.note)).toBe(1);
    const retry = await send(h, body, { key });
    expectCreated(retry, true);
    expect(await effects(h, body.note)).toBe(1);
  });
});

describe("the record shares the effect's transaction", () => {
  it.for<Mode>(["pool", "http"])(
    "%s: complete() then a fault in the same transaction: neither effect nor record committed",
    async (mode, t) => {
      const h = await init(t);
      const key = newKey();
      const body: NoteInput = { ...newNote(), fail: "after-complete" };
      expectProblem(await send(h, body, { key, mode }), 500, "INTERNAL_ERROR");
      expect(await effects(h, body.note)).toBe(0);
      // The release deletes only in-flight rows: a completed row left here would mean the
      // record had committed without its effect.
      expect(await rows(h, key)).toEqual([]);
    },
  );

  it("a claim whose lease ran out mid-request is taken over by the retry; the first one's effect rolls back", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body: NoteInput = { ...newNote(), delayMs: 2_500 };
    const first = send(h, body, { key });
    // Wait until the first request holds the key, then let its lease run out.
    for (let i = 0; (await rows(h, key)).length === 0; i++) {
      if (i > 100) throw new Error("the first request never claimed its key");
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.db
      .update(idempotencyKeys)
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where(eq(idempotencyKeys.key, key));
    const retry = await send(h, body, { key });
    expectCreated(retry);
    const late = await first;
    expectProblem(late, 409, "IDEMPOTENCY_KEY_IN_USE");
    expect(late.headers.get("Retry-After")).toBe("1");
    expect(await effects(h, body.note)).toBe(1);
    const replay = await send(h, body, { key });
    expectCreated(replay, true);
    expect(replay.body.id).toBe(retry.body.id);
  });
});

describe("leases and expiry", () => {
  /** An in-flight claim left by a request that died between claim and effect. */
  async function abandonedClaim(h: Harness, key: string, body: NoteInput, lockedFor: string) {
    await h.db.insert(idempotencyKeys).values({
      scope: `ip:${h.ip}`,
      key,
      fingerprint: await requestFingerprint("POST", "/__test/idem/pool", JSON.stringify(body)),
      token: crypto.randomUUID(),
      state: "in_flight",
      lockedUntil: sql`now() + ${lockedFor}::interval`,
      expiresAt: sql`now() + interval '24 hours'`,
    });
  }

  it("a crashed request's claim: 409 while its lease holds, re-claimed once it has passed", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    await abandonedClaim(h, key, body, "30 seconds");
    const held = await send(h, body, { key });
    expectProblem(held, 409, "IDEMPOTENCY_KEY_IN_USE");
    expect(held.headers.get("Retry-After")).toBe("5");
    await h.db
      .update(idempotencyKeys)
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where(eq(idempotencyKeys.key, key));
    expectCreated(await send(h, body, { key }));
    expectCreated(await send(h, body, { key }), true);
    expect(await effects(h, body.note)).toBe(1);
  });

  it("an expired lease does not free the key for a different request", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    await abandonedClaim(h, key, body, "-1 second");
    expectProblem(await send(h, newNote(), { key }), 422, "IDEMPOTENCY_KEY_REUSED");
  });

  it("after 24 hours a key starts afresh, even before the purge", async (t) => {
    const h = await init(t);
    const key = newKey();
    const body = newNote();
    expectCreated(await send(h, body, { key }));
    await h.db
      .update(idempotencyKeys)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.scope, `ip:${h.ip}`)));
    expectCreated(await send(h, body, { key }));
    expect(await effects(h, body.note)).toBe(2);
  });
});
