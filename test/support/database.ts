/**
 * Each test file gets its own database, cloned from the migrated template, reached through the
 * production driver (Neon over the local WebSocket proxy).
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import * as schema from "../../src/db/schema";
import { assertTestDatabaseName, TEST_DB_PREFIX } from "./db-prefix";
import { testEnv } from "./env";

function configureProxy() {
  const proxy = testEnv.NEON_WS_PROXY;
  neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Runs one admin statement (superuser) on its own short-lived pool. */
export async function adminQuery<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
  database = "postgres",
): Promise<T[]> {
  configureProxy();
  const pool = new Pool({ connectionString: withDatabase(testEnv.TEST_PG_ADMIN_URL, database) });
  pool.on("error", () => undefined);
  try {
    const result = await pool.query(sql, params);
    return result.rows as T[];
  } finally {
    await pool.end();
  }
}

export async function cloneTemplateDatabase(): Promise<string> {
  const name = `${TEST_DB_PREFIX}${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${testEnv.TEST_PG_TEMPLATE_DB}"`);
      return name;
    } catch (err) {
      // Two clones of one template at the same instant can collide; retry briefly.
      if (attempt >= 5 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

export async function dropDatabase(name: string): Promise<void> {
  assertTestDatabaseName(name);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** A superuser Drizzle handle on this file's database, for assertions and fixtures. */
export function adminDb(database: string) {
  configureProxy();
  const pool = new Pool({ connectionString: withDatabase(testEnv.TEST_PG_ADMIN_URL, database) });
  pool.on("error", () => undefined);
  return { db: drizzle({ client: pool, schema }), pool, close: () => pool.end() };
}
