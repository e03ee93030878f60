/**
 * SQL-level helpers for test/db: connections as the Worker's role (app_runtime, RLS applies)
 * and as the superuser, on this file's database.
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import { contextSignature, type DbActor } from "../../src/db/transaction";
import { adminQuery, withDatabase } from "../support/database";
import { testEnv } from "../support/env";
import { fileDatabase } from "../support/setup";

export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Superuser, bypasses RLS: fixtures and assertions only. */
export const admin: Query = (sql, params = []) => adminQuery(sql, params, fileDatabase());

/** The runtime role's URL for this file's database (what the Worker's DATABASE_URL names). */
export const runtimeUrl = () => withDatabase(testEnv.DATABASE_URL, fileDatabase());

/**
 * One session as app_runtime, with none of the Worker's secrets: `q` runs statements on that
 * one connection, so transactions (BEGIN … COMMIT) span calls.
 */
export async function asRuntime<R>(fn: (q: Query, pid: number) => Promise<R>): Promise<R> {
  neonConfig.wsProxy = (host, port) => `${testEnv.NEON_WS_PROXY}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  const pool = new Pool({ connectionString: runtimeUrl(), max: 1 });
  pool.on("error", () => undefined);
  const client = await pool.connect();
  try {
    const q: Query = async <T>(sql: string, params: unknown[] = []) =>
      (await client.query(sql, params)).rows as T[];
    const [row] = await q<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return await fn(q, row?.pid ?? 0);
  } finally {
    client.release();
    await pool.end();
  }
}

/** The parameters of `app_enter` for `actor`, signed now (or at `issuedAt`) with `secret`. */
export async function signedEntry(
  actor: DbActor,
  opts: { secret?: string; issuedAt?: number } = {},
): Promise<[string | null, string, number, string]> {
  const issuedAt = opts.issuedAt ?? Date.now();
  const signature = await contextSignature(
    opts.secret ?? testEnv.DB_CONTEXT_SECRET,
    actor,
    issuedAt,
  );
  return [actor.userId, actor.role, issuedAt, signature];
}

export const ENTER = "SELECT app_enter($1::uuid, $2, $3::bigint, $4)";

export async function newUser(role = "student"): Promise<string> {
  const [row] = await admin<{ id: string }>(
    "INSERT INTO users (email, password_hash, full_name, role) VALUES ($1, 'x', 'Test', $2) RETURNING id",
    [`${crypto.randomUUID()}@example.in`, role],
  );
  if (!row) throw new Error("insert failed");
  return row.id;
}

/** Whether the SQL helpers say `user`, acting through app_runtime, could do it (rolled back). */
export async function can(sql: string, params: unknown[]): Promise<boolean> {
  const [row] = await admin<{ r: boolean }>(sql, params);
  return row?.r === true;
}

/** Runs `fn` in one transaction as app_runtime, entered as `actor` (or with no context), rolled back. */
export function inContext<R>(actor: DbActor | null, fn: (q: Query) => Promise<R>): Promise<R> {
  return asRuntime(async (q) => {
    await q("BEGIN");
    try {
      if (actor) await q(ENTER, await signedEntry(actor));
      return await fn(q);
    } finally {
      await q("ROLLBACK");
    }
  });
}
