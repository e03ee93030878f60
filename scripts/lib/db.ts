/** Node-side database chores: migrate, local role logins, template clones. */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));

/** Local-only password for the runtime role; production sets its own (README, Deploy). */
export const LOCAL_RUNTIME_PASSWORD = "app_runtime_local";

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

export async function connectOrExplain(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `cannot connect to Postgres at ${describe(url)}: ${(err as Error).message || String(err)}. ` +
        "Is it running, and is DATABASE_URL right?",
    );
  }
  return client;
}

export async function runMigrations(url: string): Promise<void> {
  const client = await connectOrExplain(url);
  try {
    await migrate(drizzle({ client }), { migrationsFolder });
  } finally {
    await client.end();
  }
}

/** Lets the runtime role log in with the local password (dev/test only). */
export async function enableLocalRuntimeLogin(adminUrl: string): Promise<void> {
  const client = await connectOrExplain(adminUrl);
  try {
    await client.query(`ALTER ROLE app_runtime LOGIN PASSWORD '${LOCAL_RUNTIME_PASSWORD}'`);
  } finally {
    await client.end();
  }
}

export function withCredentials(url: string, user: string, password: string, db?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  if (db) u.pathname = `/${db}`;
  return u.toString();
}

export const runtimeUrl = (adminUrl: string, db?: string) =>
  withCredentials(adminUrl, "app_runtime", LOCAL_RUNTIME_PASSWORD, db);

export async function recreateDatabase(adminUrl: string, name: string, template?: string) {
  const client = await connectOrExplain(adminUrl);
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
  } finally {
    await client.end();
  }
}

export async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const client = await connectOrExplain(adminUrl);
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return r.rowCount === 1;
  } finally {
    await client.end();
  }
}
