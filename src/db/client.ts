/**
 * The only file that knows the database driver. Two paths to the same Postgres:
 *
 * - `http`: Neon's SQL-over-HTTP endpoint (`neon()` + drizzle-orm/neon-http). Each statement,
 *   or a batch of statements as one non-interactive transaction, is one HTTPS request: no
 *   connection setup in the Worker. For reads and for writes that need no read-then-decide.
 * - `db`: a Neon `Pool` over WebSockets, per request (Workers cannot share sockets across
 *   requests), for interactive transactions (`FOR UPDATE`, read-modify-write, multi-step
 *   flows). It connects only when first used; the caller closes it in `waitUntil`.
 *
 * `runAs` (src/db/transaction.ts) works with both.
 */
import {
  type FullQueryResults,
  type NeonQueryFunction,
  type NeonQueryPromise,
  neon,
  neonConfig,
  Pool,
  type PoolClient,
} from "@neondatabase/serverless";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema";
import { bindContextSecret } from "./transaction";

/** The interactive path: a per-request Pool (transactions with `FOR UPDATE`, read-then-write). */
export type Database = NeonDatabase<typeof schema>;
/** The one-round-trip path: each statement or `batch([...])` is one HTTP request. */
export type HttpDatabase = NeonHttpDatabase<typeof schema>;

export interface DbOptions {
  url: string;
  /** host:port of a local WebSocket->TCP proxy; unset in staging/production. */
  wsProxy?: string;
  /**
   * URL of a local SQL-over-HTTP endpoint (scripts/lib/neon-http.ts), e.g.
   * http://127.0.0.1:54331/sql; unset in staging/production, where the driver derives Neon's
   * own endpoint from the connection string's host.
   */
  httpEndpoint?: string;
  /** Bounds connect and each query, so a hung database cannot hang the request. */
  timeoutMs: number;
  onError?: (err: unknown) => void;
  /**
   * DB_CONTEXT_SECRET: signs the RLS context of `runAs` transactions on this handle. Defaults to
   * the Worker's own binding (src/db/transaction.ts).
   */
  contextSecret?: string;
}

export interface DbHandle {
  /** The interactive path (WebSocket Pool); connects when first used. */
  db: Database;
  /** The HTTP path: one request per statement or batch, nothing to close. */
  http: HttpDatabase;
  close: () => Promise<void>;
}

function applyProxy(wsProxy: string | undefined) {
  if (!wsProxy) return;
  neonConfig.wsProxy = (host, port) => `${wsProxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  // Local Postgres speaks plain auth over the proxy; pipelining assumes Neon's endpoint.
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
}

/** The configuration fields a database handle is made from. */
export interface DbConfig {
  DATABASE_URL: string;
  NEON_WS_PROXY?: string;
  NEON_HTTP_ENDPOINT?: string;
  DB_QUERY_TIMEOUT_MS: number;
  DB_CONTEXT_SECRET: string;
}

/** A handle from the Worker's configuration: the one way the app opens the database. */
export function dbFromConfig(
  config: DbConfig,
  opts: Pick<DbOptions, "onError"> & { maxTimeoutMs?: number; minTimeoutMs?: number } = {},
): DbHandle {
  let timeoutMs = config.DB_QUERY_TIMEOUT_MS;
  if (opts.maxTimeoutMs !== undefined) timeoutMs = Math.min(timeoutMs, opts.maxTimeoutMs);
  if (opts.minTimeoutMs !== undefined) timeoutMs = Math.max(timeoutMs, opts.minTimeoutMs);
  return createDb({
    url: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    httpEndpoint: config.NEON_HTTP_ENDPOINT,
    timeoutMs,
    contextSecret: config.DB_CONTEXT_SECRET,
    onError: opts.onError,
  });
}

/** Only the HTTP path, from the Worker's configuration: no Pool, nothing to close. */
export function httpFromConfig(config: DbConfig): HttpDatabase {
  return createHttpDb({
    url: config.DATABASE_URL,
    httpEndpoint: config.NEON_HTTP_ENDPOINT,
    timeoutMs: config.DB_QUERY_TIMEOUT_MS,
    contextSecret: config.DB_CONTEXT_SECRET,
  });
}

export function createDb(opts: DbOptions): DbHandle {
  applyProxy(opts.wsProxy);
  const pool = new Pool({
    connectionString: opts.url,
    connectionTimeoutMillis: opts.timeoutMs,
    query_timeout: opts.timeoutMs,
    statement_timeout: opts.timeoutMs,
    max: 4,
  });
  let closed = false;
  // Without a listener an idle client's error would be thrown as unhandled. Errors after we
  // closed the pool are the socket going away (workerd reports an ErrorEvent): not news.
  const report = (err: unknown) => {
    if (!closed) opts.onError?.(err);
  };
  pool.on("error", report);
  pool.on("connect", (client: PoolClient) => client.on("error", report));
  const db = drizzle({ client: pool, schema });
  bindContextSecret(db, opts.contextSecret);
  const http = createHttpDb(opts);
  return {
    db,
    http,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The HTTP path

/** A statement in the driver's terms: SQL text with `$n` placeholders and their values. */
export interface Statement {
  text: string;
  params: unknown[];
}

type QueryOptions = Record<string, unknown>;
type Sql = NeonQueryFunction<false, false>;

/** What `createHttpDb` made a handle from, so a context-bound copy can be derived from it. */
interface HttpParts {
  sql: Sql;
  timeoutMs: number;
  contextSecret: string | undefined;
}
const httpParts = new WeakMap<object, HttpParts>();

function createHttpDb(opts: DbOptions): HttpDatabase {
  if (opts.httpEndpoint) {
    // Global in the driver (per isolate); the value is per deployment, so every handle agrees.
    neonConfig.fetchEndpoint = opts.httpEndpoint;
  }
  const parts: HttpParts = {
    sql: neon(opts.url),
    timeoutMs: opts.timeoutMs,
    contextSecret: opts.contextSecret,
  };
  return httpDb(parts);
}

function httpDb(parts: HttpParts, prologue?: () => Promise<Statement>): HttpDatabase {
  const http = drizzleHttp({ client: httpClient(parts, prologue) as unknown as Sql, schema });
  httpParts.set(http, parts);
  bindContextSecret(http, parts.contextSecret);
  return http;
}

/**
 * A copy of `http` in which every statement, and every `batch([...])`, is sent with `prologue`
 * first, in the same request and the same transaction: how `runAs` gives HTTP statements their
 * signed RLS context (transaction-local, so it ends with the request's transaction).
 */
export function httpWithPrologue(http: HttpDatabase, prologue: () => Promise<Statement>) {
  const parts = httpParts.get(http);
  if (!parts) throw new Error("httpWithPrologue needs a handle made by createDb");
  return httpDb(parts, prologue);
}

/** True for handles of the HTTP path. */
export function isHttpDatabase(handle: object): handle is HttpDatabase {
  return httpParts.has(handle);
}

/**
 * The client Drizzle sees: the driver's `query`/`transaction`, with a deadline on every request
 * (an aborted fetch, reported as unavailability) and the optional prologue. `query` returns a
 * lazy statement: awaited alone it is one request; handed to `transaction` (Drizzle's `batch`)
 * it joins the batch.
 */
function httpClient(parts: HttpParts, prologue?: () => Promise<Statement>) {
  const { sql, timeoutMs } = parts;
  const deadline = () => ({ fetchOptions: { signal: AbortSignal.timeout(timeoutMs) } });

  async function send(items: PendingStatement[], txOptions: QueryOptions = {}) {
    const first = prologue ? [await prologue()] : [];
    try {
      if (first.length === 0 && items.length === 1) {
        const [item] = items as [PendingStatement];
        return [await sql.query(item.text, item.params, { ...item.options, ...deadline() })];
      }
      const queries: NeonQueryPromise<false, false>[] = [
        ...first.map((s) => sql.query(s.text, s.params)),
        ...items.map((item) => sql.query(item.text, item.params, item.options)),
      ];
      const results = await sql.transaction(queries, { ...txOptions, ...deadline() });
      return results.slice(first.length) as unknown as FullQueryResults<boolean>[];
    } catch (err) {
      throw asTimeout(err, timeoutMs);
    }
  }

  class PendingStatement implements PromiseLike<FullQueryResults<boolean>> {
    constructor(
      readonly text: string,
      readonly params: unknown[],
      readonly options: QueryOptions | undefined,
    ) {}
    // biome-ignore lint/suspicious/noThenProperty: a lazy statement is awaited like the driver's.
    then<A = FullQueryResults<boolean>, B = never>(
      onFulfilled?: ((value: FullQueryResults<boolean>) => A | PromiseLike<A>) | null,
      onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> {
      return send([this])
        .then((results) => results[0] as FullQueryResults<boolean>)
        .then(onFulfilled, onRejected);
    }
  }

  return {
    query: (text: string, params?: unknown[], options?: QueryOptions) =>
      new PendingStatement(text, params ?? [], options),
    transaction: (items: PendingStatement[], options?: QueryOptions) => send(items, options),
  };
}

/** The driver reports an aborted fetch as "Error connecting to database: …TimeoutError…". */
function asTimeout(err: unknown, ms: number): unknown {
  const source = (err as { sourceError?: unknown } | null)?.sourceError;
  const name = source instanceof Error ? source.name : undefined;
  if (name === "TimeoutError" || name === "AbortError") {
    return new DatabaseTimeoutError(ms, { cause: err });
  }
  return err;
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn` but gives up after `ms`, so callers get a bounded answer even from a stuck socket. */
export async function withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export class DatabaseTimeoutError extends Error {
  constructor(ms: number, options?: ErrorOptions) {
    super(`database did not answer within ${ms} ms`, options);
    this.name = "DatabaseTimeoutError";
  }
}

// SQLSTATE classes/codes that mean "the database cannot serve us now", not "our query is wrong".
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-4]|57014|58)/;
const UNAVAILABLE_MESSAGE =
  /(connection|connect|terminated|timeout|timed out|ECONNREFUSED|ECONNRESET|socket|websocket|network|closed)/i;

const HTTP_UNAVAILABLE = /^Server error \(HTTP status (5\d\d|429)\)/;

/** True when an error (or any cause in its chain) says the database is down, hung or refusing. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    if (e instanceof DatabaseTimeoutError) return true;
    if (typeof e !== "object") return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code.length === 5) {
      // A SQLSTATE from the server: only the classes above mean unavailability.
      return UNAVAILABLE_SQLSTATE.test(code);
    }
    if (e instanceof Error && e.name === "ErrorEvent") return true;
    // The HTTP path: the endpoint answered 5xx or 429 (compute down, overloaded, suspended).
    if (typeof message === "string" && HTTP_UNAVAILABLE.test(message)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) {
      // Drizzle wraps driver errors as "Failed query: <sql>"; judge by the driver's cause.
      if (!message.startsWith("Failed query")) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** True when Postgres refused a write for a unique constraint (SQLSTATE 23505), at any depth. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    if (typeof e === "object" && (e as { code?: unknown }).code === "23505") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
