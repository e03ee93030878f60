/**
 * The Worker of `npm run bench:db` (scripts/bench-db.ts): one route per way of reaching
 * Postgres, each running the lookup every authenticated request makes,
 * `select * from auth_principal($1, $2)`, as the runtime role, and answering 200 only when the
 * row is the seeded user's (otherwise 500, which wrk counts), so a broken variant cannot look
 * fast. Drivers are called directly (no Drizzle): Drizzle is the same thin layer over each.
 *
 * `neonConfig` is global to the isolate; every route sets all the fields it depends on, and the
 * bench drives one route at a time, so the routes never see each other's settings.
 */
import { neon, neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { Hono } from "hono";
import { Client } from "pg";
import { contextSignature } from "../../src/db/transaction";

interface Env {
  /** postgres:// URL of app_runtime on the local Postgres (with its port). */
  DATABASE_URL: string;
  /** host:port of the WebSocket->TCP proxy (scripts/lib/ws-proxy.ts). */
  NEON_WS_PROXY: string;
  /** `${base}/sql` of the local SQL-over-HTTP endpoint (scripts/lib/neon-http.ts). */
  NEON_HTTP_ENDPOINT: string;
  DB_CONTEXT_SECRET: string;
  HYPERDRIVE: Hyperdrive;
  BENCH_USER_ID: string;
  BENCH_SESSION_ID: string;
}

interface PrincipalRow {
  id: string;
  email: string;
  role: string;
  status: string;
  token_version: number;
  last_active_at: Date | null;
  session_revoked_at: Date | null;
  session_expires_at: Date;
}

const LOOKUP = "select * from auth_principal($1, $2)";
/** DB_QUERY_TIMEOUT_MS in wrangler.toml: what createDb (src/db/client.ts) bounds each step by. */
const TIMEOUT_MS = 5_000;

const app = new Hono<{ Bindings: Env }>();

/** Today's WebSocket settings for the local proxy (applyProxy in src/db/client.ts). */
function localWebSocket(env: Env, pipeline: boolean) {
  neonConfig.wsProxy = (host, port) => `${env.NEON_WS_PROXY}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = pipeline ? "password" : false;
  neonConfig.poolQueryViaFetch = false;
}

/** A Pool as createDb makes it: same timeouts, same listeners (which matter, see pool-fetch). */
function newPool(env: Env, listeners: "as-createDb" | "error-only") {
  const pool = new Pool({
    connectionString: env.DATABASE_URL,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
    statement_timeout: TIMEOUT_MS,
    max: 4,
  });
  pool.on("error", () => undefined);
  // createDb adds a "connect" listener; any listener but "error" turns poolQueryViaFetch off.
  if (listeners === "as-createDb") {
    pool.on("connect", (client: PoolClient) => client.on("error", () => undefined));
  }
  return pool;
}

function answer(env: Env, rows: PrincipalRow[] | undefined): Response {
  const row = rows?.[0];
  if (rows?.length !== 1 || row?.id !== env.BENCH_USER_ID || row.status !== "active") {
    return Response.json({ error: "wrong result", rows: rows ?? null }, { status: 500 });
  }
  return Response.json(row);
}

app.get("/bare", (c) => c.json({ ok: true }));

// Today's design: a Pool per request over the WebSocket proxy, closed in waitUntil.
for (const [path, pipeline] of [
  ["/pool", false],
  ["/pool-pipeline", true],
] as const) {
  app.get(path, async (c) => {
    localWebSocket(c.env, pipeline);
    const pool = newPool(c.env, "as-createDb");
    try {
      const result = await pool.query<PrincipalRow>(LOOKUP, [
        c.env.BENCH_USER_ID,
        c.env.BENCH_SESSION_ID,
      ]);
      return answer(c.env, result.rows);
    } finally {
      c.executionCtx.waitUntil(pool.end().catch(() => undefined));
    }
  });
}

// The same Pool API, but Pool.query goes out as one HTTP request (no socket, no startup).
app.get("/pool-fetch", async (c) => {
  localWebSocket(c.env, false);
  neonConfig.poolQueryViaFetch = true;
  neonConfig.fetchEndpoint = c.env.NEON_HTTP_ENDPOINT;
  const pool = newPool(c.env, "error-only");
  try {
    const result = await pool.query<PrincipalRow>(LOOKUP, [
      c.env.BENCH_USER_ID,
      c.env.BENCH_SESSION_ID,
    ]);
    // The driver marks results that came over HTTP: refuse a silent fall-back to WebSocket.
    if (!(result as { viaNeonFetch?: boolean }).viaNeonFetch) {
      return Response.json({ error: "pool.query did not go over fetch" }, { status: 500 });
    }
    return answer(c.env, result.rows);
  } finally {
    c.executionCtx.waitUntil(pool.end().catch(() => undefined));
  }
});

function httpSql(env: Env) {
  neonConfig.fetchEndpoint = env.NEON_HTTP_ENDPOINT;
  return neon(env.DATABASE_URL);
}

// One statement, one HTTP request.
app.get("/http", async (c) => {
  const sql = httpSql(c.env);
  const rows = await sql.query(LOOKUP, [c.env.BENCH_USER_ID, c.env.BENCH_SESSION_ID]);
  return answer(c.env, rows as PrincipalRow[]);
});

// Two statements in one transaction, one HTTP request: the signed RLS context, then the query.
app.get("/http-batch", async (c) => {
  const sql = httpSql(c.env);
  const actor = { userId: c.env.BENCH_USER_ID, role: "student" as const };
  const issuedAt = Date.now();
  const signature = await contextSignature(c.env.DB_CONTEXT_SECRET, actor, issuedAt);
  const [, rows] = await sql.transaction([
    sql.query("select app_enter($1::uuid, $2, $3::bigint, $4)", [
      actor.userId,
      actor.role,
      issuedAt,
      signature,
    ]),
    sql.query(LOOKUP, [c.env.BENCH_USER_ID, c.env.BENCH_SESSION_ID]),
  ]);
  return answer(c.env, rows as PrincipalRow[]);
});

// node-postgres over a TCP socket (cloudflare:sockets) to the Hyperdrive binding's string.
app.get("/hyperdrive", async (c) => {
  const client = new Client({
    connectionString: c.env.HYPERDRIVE.connectionString,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
    statement_timeout: TIMEOUT_MS,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const result = await client.query<PrincipalRow>(LOOKUP, [
      c.env.BENCH_USER_ID,
      c.env.BENCH_SESSION_ID,
    ]);
    return answer(c.env, result.rows);
  } finally {
    c.executionCtx.waitUntil(client.end().catch(() => undefined));
  }
});

app.onError((err) =>
  Response.json({ error: err instanceof Error ? err.message : String(err) }, { status: 500 }),
);

export default app;
