import { sql } from "drizzle-orm";
import type { Database } from "./client";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DbOrTx = Database | Transaction;

/** Who Postgres' row-level security should see: `system` is trusted server internals. */
export type DbRole = "anonymous" | "student" | "admin" | "super_admin" | "system";

export interface DbActor {
  userId: string | null;
  role: DbRole;
}

/**
 * Runs `fn` in one transaction whose RLS context is `actor`. The context is transaction-local
 * (set_config(..., true)), so it can never leak to another request sharing the connection.
 */
export function runAs<T>(db: Database, actor: DbActor, fn: (tx: Transaction) => Promise<T>) {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('app.user_id', ${actor.userId ?? ""}, true), set_config('app.role', ${actor.role}, true)`,
    );
    return fn(tx);
  });
}

export const SYSTEM: DbActor = { userId: null, role: "system" };
