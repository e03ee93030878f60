/**
 * The only file that knows the database driver. A Neon `Pool` per request (Workers cannot
 * share sockets across requests), wrapped by Drizzle; closed by the caller in `waitUntil`.
 */
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema";
import { bindContextSecret } from "./transaction";

export type Database = NeonDatabase<typeof schema>;

export interface DbOptions {
  url: string;
  /** host:port of a local WebSocket->TCP proxy; unset in staging/production. */
  wsProxy?: string;
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
  db: Database;
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
    timeoutMs,
    contextSecret: config.DB_CONTEXT_SECRET,
    onError: opts.onError,
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
  return {
    db,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
    },
  };
}

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
  constructor(ms: number) {
    super(`database did not answer within ${ms} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

// SQLSTATE classes/codes that mean "the database cannot serve us now", not "our query is wrong".
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-4]|57014|58)/;
const UNAVAILABLE_MESSAGE =
  /(connection|connect|terminated|timeout|timed out|ECONNREFUSED|ECONNRESET|socket|websocket|network|closed)/i;

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
