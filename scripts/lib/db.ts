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

export const OWN_DATABASE_FLAG = "--i-own-this-database";

/** The loopback range, ::1 and localhost: where the embedded Postgres (or the developer's own) runs. */
export function isLoopbackDatabase(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The dev stack, the tests and the benchmarks change what they touch: they set the runtime
 * role's password, seed demo accounts with published passwords, create and drop databases.
 * Against anything but a loopback Postgres that could be a shared or production server, so it
 * takes an explicit `--i-own-this-database` (or I_OWN_THIS_DATABASE=1, e.g. for `npm test`).
 */
export function assertOwnedDatabase(url: string, what: string): void {
  if (isLoopbackDatabase(url)) return;
  if (process.argv.includes(OWN_DATABASE_FLAG) || process.env.I_OWN_THIS_DATABASE === "1") return;
  throw new Error(
    `refusing to ${what} on ${describe(url)}: it is not the embedded or a loopback Postgres, ` +
      `and this would change it. If the database is yours to change, add ${OWN_DATABASE_FLAG} ` +
      "(or set I_OWN_THIS_DATABASE=1).",
  );
}

/** Lets the runtime role log in with the local password (dev/test only). */
export async function enableLocalRuntimeLogin(adminUrl: string): Promise<void> {
  assertOwnedDatabase(adminUrl, "set the app_runtime password");
  const client = await connectOrExplain(adminUrl);
  try {
    await client.query(`ALTER ROLE app_runtime LOGIN PASSWORD '${LOCAL_RUNTIME_PASSWORD}'`);
  } finally {
    await client.end();
  }
}

/**
 * Stores the database half of DB_CONTEXT_SECRET (app_keys, readable only by app_owner's
 * SECURITY DEFINER functions): app_enter() checks the Worker's signatures against it. The
 * Worker cannot write it; the owner does, here (dev, tests) or with app_install_context_key()
 * (README, Deploy). Run after the migrations.
 */
export async function installContextKey(adminUrl: string, secret: string): Promise<void> {
  assertOwnedDatabase(adminUrl, "install the database context key");
  if (secret.length < 32) throw new Error("DB_CONTEXT_SECRET must be at least 32 characters");
  const client = await connectOrExplain(adminUrl);
  try {
    await client.query("SELECT app_install_context_key($1)", [secret]);
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
  assertOwnedDatabase(adminUrl, `drop and recreate database ${name}`);
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
