import { env as workerEnv } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import { hmacHex } from "../lib/hmac";
import { type Database, type HttpDatabase, httpWithPrologue, isHttpDatabase } from "./client";
import type * as schema from "./schema";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DbOrTx = Database | Transaction;
/** Either path's handle inside `runAs`, for code that only builds statements (reads). */
// biome-ignore lint/suspicious/noExplicitAny: the query-result kind is what differs between paths.
export type Reader = PgDatabase<any, typeof schema>;

/** Who Postgres' row-level security should see: `system` is trusted server internals. */
export type DbRole = "anonymous" | "student" | "admin" | "super_admin" | "system";

export interface DbActor {
  userId: string | null;
  role: DbRole;
}

export const SYSTEM: DbActor = { userId: null, role: "system" };

/**
 * The RLS context is signed (migration 0011): `app_enter(user, role, issued_at, signature)`
 * checks an HMAC made with DB_CONTEXT_SECRET, which the database holds in a table the Worker's
 * role cannot read. A bare `set_config('app.role', …)` no longer grants anything.
 *
 * Which secret signs: the one given to `createDb({ contextSecret })`, else this Worker's own
 * `DB_CONTEXT_SECRET` binding (so handles opened by code that predates the option still work).
 */
const secrets = new WeakMap<object, string>();

/** Ties a database handle (or a transaction) to the secret that signs its contexts. */
export function bindContextSecret(handle: object, secret: string | undefined) {
  if (secret) secrets.set(handle, secret);
}

function secretOf(handle: object): string {
  const own = secrets.get(handle);
  if (own) return own;
  const fromEnv = (workerEnv as { DB_CONTEXT_SECRET?: unknown } | undefined)?.DB_CONTEXT_SECRET;
  if (typeof fromEnv === "string" && fromEnv.length >= 32) return fromEnv;
  throw new Error("DB_CONTEXT_SECRET is not configured: the database context cannot be signed");
}

/** hex HMAC-SHA256(secret, `enter|v1|<user>|<role>|<issuedAtMs>`), as app_enter() recomputes it. */
export async function contextSignature(
  secret: string,
  actor: DbActor,
  issuedAtMs: number,
): Promise<string> {
  return hmacHex(secret, `enter|v1|${actor.userId ?? ""}|${actor.role}|${issuedAtMs}`);
}

async function enter(tx: Transaction, secret: string, actor: DbActor) {
  const issuedAt = Date.now();
  const signature = await contextSignature(secret, actor, issuedAt);
  await tx.execute(
    sql`select app_enter(${actor.userId}::uuid, ${actor.role}, ${issuedAt}::bigint, ${signature})`,
  );
}

/** The statement that enters `actor`'s context, signed now. */
async function enterStatement(secret: string, actor: DbActor) {
  const issuedAt = Date.now();
  const signature = await contextSignature(secret, actor, issuedAt);
  return {
    text: "select app_enter($1::uuid, $2, $3::bigint, $4)",
    params: [actor.userId, actor.role, issuedAt, signature],
  };
}

/**
 * Runs `fn` with the RLS context of `actor`, on either path:
 *
 * - **Pool** (`Database`): one interactive transaction. The context is transaction-local and
 *   bound to this transaction, so it can never leak to another request sharing the
 *   connection. Costs the one statement that starts the context.
 * - **HTTP** (`HttpDatabase`): `fn` gets a handle on which every statement it awaits, and every
 *   `batch([...])`, is one HTTP request that carries the signed context in the same
 *   transaction: one round trip, no connection. Statements awaited one after another are
 *   separate transactions, so use `batch` for writes that must land together, and the Pool
 *   for anything that reads and then decides (`FOR UPDATE`, read-modify-write).
 */
export function runAs<T>(
  db: HttpDatabase,
  actor: DbActor,
  fn: (q: HttpDatabase) => Promise<T>,
): Promise<T>;
export function runAs<T>(
  db: Database,
  actor: DbActor,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T>;
export function runAs<T>(
  db: Database | HttpDatabase,
  actor: DbActor,
  fn: ((q: HttpDatabase) => Promise<T>) | ((tx: Transaction) => Promise<T>),
): Promise<T> {
  const secret = secretOf(db);
  if (isHttpDatabase(db)) {
    const scoped = httpWithPrologue(db, () => enterStatement(secret, actor));
    return (fn as (q: HttpDatabase) => Promise<T>)(scoped);
  }
  return (db as Database).transaction(async (tx) => {
    secrets.set(tx, secret);
    await enter(tx, secret, actor);
    return (fn as (tx: Transaction) => Promise<T>)(tx);
  });
}

/**
 * Switches the context of a transaction opened by `runAs`, for the rest of it (e.g. an admin's
 * change that must also revoke sessions, which only `system` may touch).
 */
export async function enterContext(tx: Transaction, actor: DbActor): Promise<void> {
  await enter(tx, secretOf(tx), actor);
}
