/**
 * The local stand-in for Neon's SQL-over-HTTP endpoint (scripts/lib/neon-http.ts), driven by the
 * real driver (`neon()` from @neondatabase/serverless) from inside workerd, and checked against
 * the same queries over the WebSocket path (Pool), which talks to Postgres itself.
 */
import { NeonDbError, neon, neonConfig, Pool } from "@neondatabase/serverless";
import { sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../support/database";
import { testEnv } from "../support/env";
import { fileDatabase } from "../support/setup";
import { admin, runtimeUrl } from "./support";

const httpBase = testEnv.TEST_NEON_HTTP_URL;
const adminUrl = () => withDatabase(testEnv.TEST_PG_ADMIN_URL, fileDatabase());

let previousEndpoint: typeof neonConfig.fetchEndpoint;
beforeAll(async () => {
  previousEndpoint = neonConfig.fetchEndpoint;
  neonConfig.fetchEndpoint = () => `${httpBase}/sql`;
  await admin("CREATE TABLE neon_http_probe (id int PRIMARY KEY, note text NOT NULL)");
});
afterAll(() => {
  neonConfig.fetchEndpoint = previousEndpoint;
});

/** One query over the WebSocket path: a Pool of its own (connect + query + end). */
async function poolQuery(url: string, text: string, params: unknown[] = []) {
  neonConfig.wsProxy = (host, port) => `${testEnv.NEON_WS_PROXY}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  const pool = new Pool({ connectionString: url });
  pool.on("error", () => undefined);
  try {
    return await pool.query(text, params);
  } finally {
    await pool.end();
  }
}

async function rejection(p: Promise<unknown>): Promise<NeonDbError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NeonDbError);
  return err as NeonDbError;
}

/** A raw request, as the driver makes it, for what the driver does not expose. */
function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${httpBase}/sql`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: {
      "Neon-Connection-String": runtimeUrl(),
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
      ...headers,
    },
  });
}

const TYPES_QUERY = `SELECT 42::int4 AS i4, 9007199254740993::int8 AS i8, 1.50::numeric AS num,
  1.5::float8 AS f8, true AS b, '{"a":[1,"x"]}'::json AS j, '{"b":{"c":null}}'::jsonb AS jb,
  '2024-05-06T07:08:09.123Z'::timestamptz AS ts, '2024-05-06'::date AS d,
  '\\xdeadbeef'::bytea AS by, ARRAY[1, NULL, 3]::int4[] AS ia, ARRAY['a', 'b c', NULL]::text[] AS ta,
  NULL::text AS nothing, 'plain'::text AS t, $1::int + 1 AS p`;

describe("the local Neon HTTP endpoint, through neon()", () => {
  it("runs a single query as the runtime role", async () => {
    const sql = neon(runtimeUrl());
    expect(await sql`SELECT 1 AS one, current_user AS who`).toEqual([
      { one: 1, who: "app_runtime" },
    ]);
    const [row = {}] = await sql`SELECT now() AS at`;
    expect(row.at).toBeInstanceOf(Date);
    expect(Math.abs((row.at as Date).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("sends parameters as text: numbers, strings, null, JSON, arrays, dates, bytes", async () => {
    const sql = neon(runtimeUrl());
    const text = `it's "quoted" \\ ✓ {a,b}`;
    const [row = {}] = await sql.query(
      `SELECT $1::int + 1 AS n, $2::text AS s, $3::text IS NULL AS isnull, $4::jsonb -> 'k' AS k,
         $5::int[] AS arr, $6::timestamptz AS at, $7::bytea AS bytes, $8::bool AS flag`,
      [
        41,
        text,
        null,
        { k: [1, "two"] },
        [1, 2, 3],
        new Date("2020-01-02T03:04:05.006Z"),
        new Uint8Array([0, 1, 255]),
        false,
      ],
    );
    expect(row).toMatchObject({
      n: 42,
      s: text,
      isnull: true,
      k: [1, "two"],
      arr: [1, 2, 3],
      flag: false,
    });
    expect((row.at as Date).toISOString()).toBe("2020-01-02T03:04:05.006Z");
    expect([...(row.bytes as Uint8Array)]).toEqual([0, 1, 255]);
  });

  it("returns values the driver parses exactly as the WebSocket path does", async () => {
    const sql = neon(runtimeUrl(), { fullResults: true });
    const [http, ws] = await Promise.all([
      sql.query(TYPES_QUERY, [41]),
      poolQuery(runtimeUrl(), TYPES_QUERY, [41]),
    ]);
    expect(http.rows).toStrictEqual(ws.rows);
    expect(http.fields).toStrictEqual(ws.fields.map((f) => ({ ...f })));
    expect(http.command).toBe(ws.command);
    expect(http.rowCount).toBe(ws.rowCount);
    // …and those are the driver's parsers at work, not strings passed through.
    const row = http.rows[0] as Record<string, unknown>;
    expect(row).toMatchObject({
      i4: 42,
      i8: "9007199254740993",
      num: "1.50",
      f8: 1.5,
      b: true,
      j: { a: [1, "x"] },
      jb: { b: { c: null } },
      ia: [1, null, 3],
      ta: ["a", "b c", null],
      nothing: null,
      t: "plain",
      p: 42,
    });
    expect((row.ts as Date).toISOString()).toBe("2024-05-06T07:08:09.123Z");
    expect([...(row.by as Uint8Array)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it("honours arrayMode and fullResults, per neon() and per query", async () => {
    const rows = neon(runtimeUrl(), { arrayMode: true });
    expect(await rows`SELECT 1 AS a, 'x' AS b`).toEqual([[1, "x"]]);

    const full = neon(adminUrl(), { fullResults: true });
    const inserted = await full`INSERT INTO neon_http_probe VALUES (100, 'a'), (101, 'b')`;
    expect(inserted).toMatchObject({ command: "INSERT", rowCount: 2, rows: [], fields: [] });
    const selected = await full.query(
      "SELECT id, note FROM neon_http_probe WHERE id >= 100 ORDER BY id",
      [],
      { arrayMode: true },
    );
    expect(selected).toMatchObject({
      command: "SELECT",
      rowCount: 2,
      rowAsArray: true,
      rows: [
        [100, "a"],
        [101, "b"],
      ],
    });
    expect(selected.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ["id", 23],
      ["note", 25],
    ]);
    const ddl = await full`CREATE TEMP TABLE neon_http_tmp (x int)`;
    expect(ddl).toMatchObject({ command: "CREATE", rowCount: null });
  });

  it("speaks Neon's wire format: text values, field metadata, one statement per query", async () => {
    const res = await post({ query: "SELECT $1::int AS n, NULL::text AS z", params: ["7"] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      rowAsArray: true,
      fields: [
        {
          name: "n",
          dataTypeID: 23,
          tableID: 0,
          columnID: 0,
          dataTypeSize: 4,
          dataTypeModifier: -1,
          format: "text",
        },
        {
          name: "z",
          dataTypeID: 25,
          tableID: 0,
          columnID: 0,
          dataTypeSize: -1,
          dataTypeModifier: -1,
          format: "text",
        },
      ],
      rows: [["7", null]],
      command: "SELECT",
      rowCount: 1,
    });
    const objects = await post({ query: "SELECT 1 AS a", arrayMode: false });
    expect(await objects.json()).toMatchObject({ rowAsArray: false, rows: [{ a: "1" }] });

    // Parse/Bind/Execute like Neon's proxy, not a simple query: one statement, exact params.
    const sql = neon(runtimeUrl());
    const multi = await rejection(sql.query("SELECT 1; SELECT 2"));
    expect(multi.code).toBe("42601");
    expect(multi.message).toMatch(/cannot insert multiple commands into a prepared statement/);
    await expect(sql.query("SELECT $1", [])).rejects.toThrow("bind message supplies 0 parameters");
  });

  it("serves more concurrent requests than its pool holds connections", async () => {
    const sql = neon(runtimeUrl());
    const many = Array.from({ length: 25 }, (_, i) => i);
    const rows = await Promise.all(
      many.map((i) => sql`SELECT ${i}::int AS i, pg_backend_pid() AS pid, pg_sleep(0.02)`),
    );
    expect(rows.map((r) => r[0]?.i)).toEqual(many);
    const pids = new Set(rows.map((r) => r[0]?.pid));
    expect(pids.size).toBeGreaterThan(1); // a pool, not one connection…
    expect(pids.size).toBeLessThanOrEqual(10); // …and a bounded one
  });

  it("works under drizzle-orm/neon-http: execute and batch", async () => {
    const db = drizzle({ client: neon(adminUrl()) });
    const result = await db.execute(dsql`SELECT ${5}::int + 1 AS six, now() AS at`);
    expect(result.rows[0]?.six).toBe(6);
    // drizzle's neon-http session keeps timestamps as Postgres text (its own type overrides).
    expect(result.rows[0]?.at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d\d(:\d\d)?$/);
    const [ins, sel] = await db.batch([
      db.execute(dsql`INSERT INTO neon_http_probe VALUES (400, 'drizzle')`),
      db.execute(dsql`SELECT note FROM neon_http_probe WHERE id = 400`),
    ]);
    expect(ins.rowCount).toBe(1);
    expect(sel.rows).toEqual([{ note: "drizzle" }]);
  });

  it("does not hand a connection left inside a transaction to the next request", async () => {
    const sql = neon(runtimeUrl());
    await sql.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
    for (let i = 0; i < 3; i++) {
      expect(await sql`SHOW transaction_isolation`).toEqual([
        { transaction_isolation: "read committed" },
      ]);
    }
  });
});

describe("batches: sql.transaction([...])", () => {
  it("runs every statement in one transaction and returns each result", async () => {
    const sql = neon(adminUrl());
    const [a, b, c] = await sql.transaction([
      sql`INSERT INTO neon_http_probe VALUES (${1}, ${"one"})`,
      sql`INSERT INTO neon_http_probe VALUES (${2}, ${"two"}) RETURNING id`,
      sql`SELECT count(*)::int AS n FROM neon_http_probe WHERE id < 100`,
    ]);
    expect(a).toEqual([]);
    expect(b).toEqual([{ id: 2 }]);
    expect(c).toEqual([{ n: 2 }]);
    const [x, y] = await sql.transaction([
      sql`SELECT txid_current() AS tx`,
      sql`SELECT txid_current() AS tx`,
    ]);
    expect(x).toEqual(y); // same transaction id: one transaction
    expect(await admin("SELECT id FROM neon_http_probe WHERE id < 100 ORDER BY id")).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });

  it("rolls back the whole batch when a later statement fails", async () => {
    const sql = neon(adminUrl());
    const err = await rejection(
      sql.transaction([
        sql`INSERT INTO neon_http_probe VALUES (${10}, ${"first"})`,
        sql`INSERT INTO neon_http_probe VALUES (${10}, ${"duplicate"})`,
      ]),
    );
    expect(err.code).toBe("23505");
    expect(err.detail).toBe("Key (id)=(10) already exists.");
    expect(err.constraint).toBe("neon_http_probe_pkey");
    expect(err.table).toBe("neon_http_probe");
    expect(err.schema).toBe("public");
    expect(await admin("SELECT id FROM neon_http_probe WHERE id = 10")).toEqual([]);
  });

  it("honours isolation level, read-only and deferrable", async () => {
    const sql = neon(runtimeUrl());
    const show = () => [
      sql`SHOW transaction_isolation`,
      sql`SHOW transaction_read_only`,
      sql`SHOW transaction_deferrable`,
    ];
    expect((await sql.transaction(show())).flat()).toEqual([
      { transaction_isolation: "read committed" },
      { transaction_read_only: "off" },
      { transaction_deferrable: "off" },
    ]);
    expect(
      (
        await sql.transaction(show(), {
          isolationLevel: "Serializable",
          readOnly: true,
          deferrable: true,
        })
      ).flat(),
    ).toEqual([
      { transaction_isolation: "serializable" },
      { transaction_read_only: "on" },
      { transaction_deferrable: "on" },
    ]);
    for (const [level, expected] of [
      ["RepeatableRead", "repeatable read"],
      ["ReadUncommitted", "read uncommitted"],
      ["ReadCommitted", "read committed"],
    ] as const) {
      const results = await sql.transaction([sql`SHOW transaction_isolation`], {
        isolationLevel: level,
      });
      expect(results).toEqual([[{ transaction_isolation: expected }]]);
    }

    const writer = neon(adminUrl());
    const err = await rejection(
      writer.transaction([writer`INSERT INTO neon_http_probe VALUES (${20}, ${"ro"})`], {
        readOnly: true,
      }),
    );
    expect(err.code).toBe("25006");
    expect(err.message).toBe("cannot execute INSERT in a read-only transaction");
    expect(await admin("SELECT id FROM neon_http_probe WHERE id = 20")).toEqual([]);
  });

  it("echoes the batch headers and rejects an unknown isolation level", async () => {
    const batch = { queries: [{ query: "SELECT 1", params: [] }] };
    const ok = await post(batch, {
      "Neon-Batch-Isolation-Level": "RepeatableRead",
      "Neon-Batch-Read-Only": "true",
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("neon-batch-isolation-level")).toBe("RepeatableRead");
    expect(ok.headers.get("neon-batch-read-only")).toBe("true");
    expect(await ok.json()).toMatchObject({ results: [{ rows: [["1"]], command: "SELECT" }] });

    const bad = await post(batch, { "Neon-Batch-Isolation-Level": "Chaos" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: "invalid isolation level" });
  });
});

describe("errors", () => {
  it("a Postgres error becomes a NeonDbError with the same fields as over WebSocket", async () => {
    const q = "SELECT 1 AS one WHERE nope > 0";
    const sql = neon(runtimeUrl());
    const http = await rejection(sql.query(q));
    const ws = (await poolQuery(runtimeUrl(), q).catch((e: unknown) => e)) as Record<
      string,
      unknown
    >;
    expect(http.message).toBe('column "nope" does not exist');
    expect(http.code).toBe("42703");
    expect(http.position).toBe("23");
    for (const field of [
      "message",
      "severity",
      "code",
      "detail",
      "hint",
      "position",
      "internalPosition",
      "internalQuery",
      "where",
      "schema",
      "table",
      "column",
      "dataType",
      "constraint",
      "file",
      "line",
      "routine",
    ] as const) {
      expect(http[field], field).toEqual(ws[field]);
    }
  });

  it("carries detail, constraint and where from Postgres", async () => {
    const sql = neon(adminUrl());
    await sql`INSERT INTO neon_http_probe VALUES (${30}, ${"x"})`;
    const dup = await rejection(sql`INSERT INTO neon_http_probe VALUES (${30}, ${"y"})`);
    expect(dup).toMatchObject({
      code: "23505",
      detail: "Key (id)=(30) already exists.",
      constraint: "neon_http_probe_pkey",
      severity: "ERROR",
    });
    const raised = await rejection(
      sql.query(
        "DO $$ BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'd', HINT = 'h', ERRCODE = 'P0042'; END $$",
      ),
    );
    expect(raised).toMatchObject({ message: "boom", code: "P0042", detail: "d", hint: "h" });
    expect(raised.where).toMatch(/PL\/pgSQL function inline_code_block/);
  });

  it("refuses a connection string that names a non-loopback host", async () => {
    const remote = runtimeUrl().replace("127.0.0.1", "db.example.com");
    expect(remote).toContain("db.example.com");
    const err = await rejection(neon(remote)`SELECT 1`);
    expect(err.message).toMatch(/only connects to a loopback Postgres, not db\.example\.com/);
    expect(err.message).not.toMatch(/Server error/);
  });

  it("reports a failed login as Postgres does (400, SQLSTATE 28P01)", async () => {
    const url = new URL(runtimeUrl());
    url.password = "wrong-password";
    const err = await rejection(neon(url.toString())`SELECT 1`);
    expect(err.code).toBe("28P01");
    expect(err.message).toMatch(/password authentication failed/);
  });

  it("answers promptly with a server error when Postgres is unreachable", async () => {
    const url = new URL(runtimeUrl());
    url.port = testEnv.TEST_CLOSED_PORT;
    const started = Date.now();
    const err = await rejection(neon(url.toString())`SELECT 1`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.message).toMatch(/^Server error \(HTTP status 500\): /);
    expect(err.message).toMatch(/could not connect to Postgres/);
  });
});
