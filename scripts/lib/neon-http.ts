/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint (`POST https://api.<host>/sql`), which
 * `neon()` from @neondatabase/serverless (and drizzle-orm/neon-http) sends every query to. It
 * mirrors Neon's proxy (neondatabase/neon, proxy/src/serverless/sql_over_http.rs and json.rs):
 *
 * - Request: header `Neon-Connection-String` (postgres:// URL: user, password, host, database;
 *   its query parameters `application_name` and `options` become startup parameters),
 *   `Neon-Raw-Text-Output: true`, `Neon-Array-Mode: true|false` (the default for each query,
 *   which a query's own `arrayMode` overrides); body `{query, params}` or `{queries: [...]}`.
 *   A batch runs in one transaction: `Neon-Batch-Isolation-Level` (ReadUncommitted |
 *   ReadCommitted | RepeatableRead | Serializable), `Neon-Batch-Read-Only: true`,
 *   `Neon-Batch-Deferrable: true`; ROLLBACK on the first error. Statements go through the
 *   extended protocol (one statement each, parameters as text).
 * - 200: `{rowAsArray, fields: [{name, dataTypeID, tableID, columnID, dataTypeSize,
 *   dataTypeModifier, format: "text"}], rows, command, rowCount}` with every value as Postgres
 *   text (null as null), so the driver's own type parsers run; a batch returns `{results}` and
 *   echoes the batch headers.
 * - Errors: JSON `{message, code, detail, hint, position, internalPosition, internalQuery,
 *   severity, where, table, column, schema, dataType, constraint, file, line, routine}`; 400
 *   for Postgres errors (and failed logins) and for bad requests, 500 when Postgres cannot be
 *   reached (the driver reports that as "Server error (HTTP status 500): …").
 *
 * Differences, on purpose: only loopback Postgres hosts (others get 400), no JWT
 * (`Authorization`) auth, only raw text output (what the driver always asks for), and the time
 * limit is Postgres' `statement_timeout` (SQLSTATE 57014) rather than Neon's request timeout.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { isLoopbackDatabase } from "./db.ts";

export interface NeonHttpOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Postgres `statement_timeout` for every statement (default 15 s, Neon's HTTP timeout). */
  statementTimeoutMs?: number;
  /** Limit on connecting to Postgres, or waiting for a free pooled connection (default 5 s). */
  connectTimeoutMs?: number;
  /** Connections per distinct connection string (default 10). */
  maxConnectionsPerPool?: number;
  /** Distinct connection strings kept pooled; the least recently used pool is closed (default 16). */
  maxPools?: number;
  /** Idle pooled connections are closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Request body limit (default 10 MiB); larger requests get 413. */
  maxRequestBytes?: number;
  /** Response body limit (default 10 MiB); larger results get 507. */
  maxResponseBytes?: number;
  /**
   * Postgres port for a connection string that names none (default 5432). The driver's
   * `Pool.query` under `neonConfig.poolQueryViaFetch` rebuilds the connection string without the
   * port; Neon's proxy routes by host name alone, so only a local stand-in needs this.
   */
  defaultPort?: number;
}

export interface NeonHttpServer {
  port: number;
  /** Base URL, e.g. http://127.0.0.1:4444; the driver's fetchEndpoint is `${url}/sql`. */
  url: string;
  close: () => Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface QueryData {
  query: string;
  params: (string | null)[];
  arrayMode: boolean | undefined;
}

interface Headers {
  arrayMode: boolean;
  isolationLevel: string | undefined;
  readOnly: boolean;
  deferrable: boolean;
}

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

const ERROR_FIELDS = [
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "severity",
  "where",
  "table",
  "column",
  "schema",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** Every column comes back as Postgres text: the driver parses it by OID, as Neon expects. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, Json> = {},
  ) {
    super(message);
  }
}

export async function startNeonHttpServer(
  port: number,
  opts: NeonHttpOptions = {},
): Promise<NeonHttpServer> {
  const host = opts.host ?? "127.0.0.1";
  const statementTimeoutMs = opts.statementTimeoutMs ?? 15_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const maxPerPool = opts.maxConnectionsPerPool ?? 10;
  const maxPools = opts.maxPools ?? 16;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
  const maxRequestBytes = opts.maxRequestBytes ?? 10 * 1024 * 1024;
  const maxResponseBytes = opts.maxResponseBytes ?? 10 * 1024 * 1024;
  const defaultPort = opts.defaultPort ?? 5432;

  /** Insertion order is recency: a used pool is moved to the end, the first one is evicted. */
  const pools = new Map<string, pg.Pool>();
  const closing = new Set<Promise<void>>();
  let closed = false;

  function endPool(pool: pg.Pool) {
    const done = pool.end().catch(() => undefined);
    closing.add(done);
    void done.then(() => closing.delete(done));
  }

  function poolFor(config: pg.PoolConfig): pg.Pool {
    if (closed) throw new HttpError(503, "the local Neon HTTP endpoint is shutting down");
    const key = JSON.stringify(config);
    let pool = pools.get(key);
    if (pool) {
      pools.delete(key);
    } else {
      pool = new pg.Pool({
        ...config,
        max: maxPerPool,
        idleTimeoutMillis: idleTimeoutMs,
        connectionTimeoutMillis: connectTimeoutMs,
        statement_timeout: statementTimeoutMs,
        // A hung server (not a slow statement, which statement_timeout ends) must not hold a
        // request forever either.
        query_timeout: statementTimeoutMs + 5_000,
        allowExitOnIdle: true,
      });
      // An idle connection dying (Postgres restarted, database dropped) is not our failure.
      pool.on("error", () => undefined);
    }
    pools.set(key, pool);
    while (pools.size > maxPools) {
      const [oldestKey, oldest] = pools.entries().next().value as [string, pg.Pool];
      pools.delete(oldestKey);
      endPool(oldest);
    }
    return pool;
  }

  async function handleSql(req: IncomingMessage): Promise<{
    body: string;
    headers: Record<string, string>;
  }> {
    const config = connectionConfig(req, defaultPort);
    const headers = parseHeaders(req);
    const payload = parsePayload(await readBody(req, maxRequestBytes));
    const pool = poolFor(config);

    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw connectError(err, config);
    }
    let broken: Error | undefined;
    try {
      if (!Array.isArray(payload)) {
        const result = await runQuery(client, payload, headers);
        // As Neon: a connection left inside a transaction (a lone BEGIN) is not reused.
        if (client.getTransactionStatus() !== "I") broken = new Error("left in a transaction");
        return { body: sizeChecked(result, maxResponseBytes), headers: {} };
      }
      const results = await runBatch(client, payload, headers);
      const echoed: Record<string, string> = {};
      if (headers.readOnly) echoed["Neon-Batch-Read-Only"] = "true";
      if (headers.deferrable) echoed["Neon-Batch-Deferrable"] = "true";
      if (headers.isolationLevel) echoed["Neon-Batch-Isolation-Level"] = headers.isolationLevel;
      return { body: sizeChecked({ results }, maxResponseBytes), headers: echoed };
    } catch (err) {
      // As Neon: a connection whose statement failed is discarded, never reused.
      broken = err instanceof Error ? err : new Error(String(err));
      // Neon answers 400 for anything that goes wrong running the statements, including a
      // connection lost mid-query (an error without SQLSTATE: code "").
      throw err instanceof HttpError
        ? err
        : (postgresError(err) ?? new HttpError(400, broken.message));
    } finally {
      client.release(broken);
    }
  }

  // Once closing, answers end their connection, so close() need not wait out keep-alives.
  const reply = (res: ServerResponse, status: number, body: string, headers = {}) =>
    send(res, status, body, closed ? { ...headers, Connection: "close" } : headers);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://neon-http").pathname;
    if (path === "/sql" && req.method === "OPTIONS") {
      res.writeHead(200, {
        Allow: "OPTIONS, POST",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers":
          "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, " +
          "Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level",
        "Access-Control-Max-Age": "86400",
      });
      res.end();
      return;
    }
    if (path !== "/sql" || req.method !== "POST") {
      reply(res, 400, JSON.stringify("query is not supported"));
      req.resume();
      return;
    }
    if (closed) {
      reply(res, 503, JSON.stringify({ message: "the local Neon HTTP endpoint is shutting down" }));
      req.resume();
      return;
    }
    handleSql(req).then(
      ({ body, headers }) => reply(res, 200, body, headers),
      (err: unknown) => {
        const e =
          err instanceof HttpError ? err : (postgresError(err) ?? new HttpError(500, String(err)));
        reply(res, e.status, errorBody(e.message, e.extra));
      },
    );
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((ok, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(
        err.code === "EADDRINUSE"
          ? new Error(`port ${port} (Neon HTTP endpoint) is already in use`)
          : err,
      ),
    );
    server.listen(port, host, () => ok());
  });
  const actual = (server.address() as { port: number }).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port: actual,
    url: `http://${urlHost}:${actual}`,
    close: async () => {
      if (closed) return;
      closed = true;
      const stopped = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      // In-flight requests finish on their own (statement_timeout bounds them); then the pools.
      const forced = setTimeout(() => server.closeAllConnections(), statementTimeoutMs + 5_000);
      await stopped;
      clearTimeout(forced);
      for (const pool of pools.values()) endPool(pool);
      pools.clear();
      await Promise.all([...closing]);
    },
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Access-Control-Allow-Origin": "*",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function errorBody(message: string, extra: Record<string, Json>): string {
  const body: Record<string, Json> = { message };
  for (const field of ERROR_FIELDS) body[field] = extra[field] ?? null;
  // Neon sends "" (not null) for these two when the error did not come from Postgres.
  body.code = extra.code ?? "";
  body.severity = extra.severity ?? "";
  return JSON.stringify(body);
}

/** A Postgres error (from a statement, or from logging in) as Neon reports it: 400 + fields. */
function postgresError(err: unknown): HttpError | undefined {
  if (!(err instanceof pg.DatabaseError)) return undefined;
  const extra: Record<string, Json> = {};
  for (const field of ERROR_FIELDS) {
    const value = (err as unknown as Record<string, unknown>)[field];
    if (typeof value === "string") extra[field] = value;
  }
  return new HttpError(400, err.message, extra);
}

function connectError(err: unknown, config: pg.PoolConfig): HttpError {
  const known = postgresError(err);
  if (known) return known;
  const reason = err instanceof Error ? err.message || err.name : String(err);
  // Neon answers 500 when the compute cannot be reached (HttpConnError, kind Compute).
  return new HttpError(
    500,
    `could not connect to Postgres at ${config.host}:${config.port}: ${reason}`,
  );
}

/** `Neon-Connection-String` to a pg config, refusing anything but a loopback Postgres. */
function connectionConfig(req: IncomingMessage, defaultPort: number): pg.PoolConfig {
  const raw = req.headers["neon-connection-string"];
  if (typeof raw !== "string") throw new HttpError(400, "invalid header: neon-connection-string");
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new HttpError(400, `invalid connection string: ${(err as Error).message}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new HttpError(400, "incorrect scheme");
  }
  const database = decodeURIComponent(url.pathname.slice(1).split("/")[0] ?? "");
  if (!database) throw new HttpError(400, "missing database name");
  const user = decodeURIComponent(url.username);
  if (!user) throw new HttpError(400, "missing username");
  if (req.headers.authorization !== undefined || !url.password) {
    // Neon's proxy without JWT auth accepts a password in the connection string only.
    throw new HttpError(400, "missing authentication credentials: required password");
  }
  if (!url.hostname) throw new HttpError(400, "missing hostname");
  if (!isLoopbackDatabase(raw)) {
    throw new HttpError(
      400,
      `the local Neon HTTP endpoint only connects to a loopback Postgres, not ${url.hostname}`,
    );
  }
  const config: pg.PoolConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : defaultPort,
    user,
    password: decodeURIComponent(url.password),
    database,
  };
  const applicationName = url.searchParams.get("application_name");
  if (applicationName) config.application_name = applicationName;
  const options = url.searchParams.get("options");
  if (options) config.options = options;
  return config;
}

function parseHeaders(req: IncomingMessage): Headers {
  if (req.headers["neon-raw-text-output"] !== "true") {
    throw new HttpError(
      400,
      "the local Neon HTTP endpoint only implements Neon-Raw-Text-Output: true " +
        "(what @neondatabase/serverless always sends)",
    );
  }
  const level = req.headers["neon-batch-isolation-level"];
  if (level !== undefined && (typeof level !== "string" || !(level in ISOLATION_LEVELS))) {
    throw new HttpError(400, "invalid isolation level");
  }
  return {
    arrayMode: req.headers["neon-array-mode"] === "true",
    isolationLevel: level,
    readOnly: req.headers["neon-batch-read-only"] === "true",
    deferrable: req.headers["neon-batch-deferrable"] === "true",
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request is too large (max is ${limit} bytes)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parsePayload(text: string): QueryData | QueryData[] {
  const invalid = (why: string) =>
    new HttpError(400, `could not parse the HTTP request body: ${why}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const one = (value: unknown): QueryData => {
    const q = value as { query?: unknown; params?: unknown; arrayMode?: unknown };
    if (typeof q?.query !== "string") throw invalid("missing field `query`");
    if (q.params !== undefined && !Array.isArray(q.params)) throw invalid("`params` is not a list");
    if (q.arrayMode !== undefined && typeof q.arrayMode !== "boolean") {
      throw invalid("`arrayMode` is not a boolean");
    }
    return {
      query: q.query,
      params: ((q.params ?? []) as Json[]).map(jsonToPgText),
      arrayMode: q.arrayMode,
    };
  };
  if (typeof (body as { query?: unknown })?.query === "string") return one(body);
  const queries = (body as { queries?: unknown })?.queries;
  if (!Array.isArray(queries)) throw invalid("expected `query` or `queries`");
  return queries.map(one);
}

/** Parameters as Neon converts them (json.rs, json_to_pg_text): the driver sends strings. */
function jsonToPgText(value: Json): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return jsonArrayToPgArray(value);
  return JSON.stringify(value);
}

function jsonArrayToPgArray(value: Json): string {
  if (value === null) return "NULL";
  if (Array.isArray(value)) return `{${value.map(jsonArrayToPgArray).join(",")}}`;
  if (typeof value === "object") return JSON.stringify(JSON.stringify(value));
  return JSON.stringify(value);
}

async function runQuery(client: pg.PoolClient, data: QueryData, headers: Headers) {
  const arrayMode = data.arrayMode ?? headers.arrayMode;
  const result = await client.query({
    text: data.query,
    values: data.params,
    rowMode: "array",
    types: RAW_TEXT,
    // Always Parse/Bind/Execute, as Neon does: one statement per query, even without params.
    queryMode: "extended",
  } as pg.QueryArrayConfig);
  const fields = result.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: "text",
  }));
  const rows = arrayMode
    ? result.rows
    : result.rows.map((row) => Object.fromEntries(fields.map((f, i) => [f.name, row[i]])));
  return {
    rowAsArray: arrayMode,
    fields,
    rows,
    command: result.command ?? "",
    rowCount: result.rowCount ?? null,
  };
}

async function runBatch(client: pg.PoolClient, queries: QueryData[], headers: Headers) {
  let begin = "START TRANSACTION";
  const modes: string[] = [];
  if (headers.isolationLevel) {
    modes.push(`ISOLATION LEVEL ${ISOLATION_LEVELS[headers.isolationLevel]}`);
  }
  if (headers.readOnly) modes.push("READ ONLY");
  if (headers.deferrable) modes.push("DEFERRABLE");
  if (modes.length > 0) begin += ` ${modes.join(", ")}`;
  await client.query(begin);
  const results = [];
  try {
    for (const q of queries) results.push(await runQuery(client, q, headers));
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  await client.query("COMMIT");
  return results;
}

function sizeChecked(value: unknown, limit: number): string {
  const body = JSON.stringify(value);
  if (Buffer.byteLength(body) > limit) {
    throw new HttpError(507, `response is too large (max is ${limit} bytes)`);
  }
  return body;
}
