/**
 * `npm run dev`: the whole stack, offline, one command. Starts an embedded PostgreSQL 17 (or
 * uses DATABASE_URL), applies migrations, seeds demo data, starts the local stand-ins for
 * Neon's two endpoints (WebSocket proxy, SQL over HTTP), writes .dev.vars if missing, and runs `wrangler dev` on http://127.0.0.1:8787.
 * Ctrl-C, or any part failing, stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  assertOwnedDatabase,
  connectOrExplain,
  databaseExists,
  enableLocalRuntimeLogin,
  installContextKey,
  runMigrations,
  runtimeUrl,
} from "./lib/db.ts";
import { readDevVar } from "./lib/dev-vars.ts";
import { type NeonHttpServer, startNeonHttpServer } from "./lib/neon-http.ts";
import {
  assertPortFree,
  type LocalPostgres,
  resolveDataDir,
  startLocalPostgres,
} from "./lib/postgres.ts";
import { seed } from "./lib/seed.ts";
import { offlineWranglerEnv } from "./lib/wrangler-env.ts";
import { startWsProxy, type WsProxy } from "./lib/ws-proxy.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const API_PORT = Number(process.env.PORT ?? 8787);
const PG_PORT = Number(process.env.PG_PORT ?? 54329);
const PROXY_PORT = Number(process.env.NEON_WS_PROXY_PORT ?? 54330);
const HTTP_SQL_PORT = Number(process.env.NEON_HTTP_PORT ?? 54331);
const DB_NAME = "coaching";
// A second stack beside the first (other ports) keeps its own Postgres data and local KV/DO
// state; the default ports keep the historical locations.
const PG_DATA = join(root, ".data", PG_PORT === 54329 ? "postgres" : `postgres-${PG_PORT}`);
const WRANGLER_STATE = join(root, ".wrangler", API_PORT === 8787 ? "state" : `state-${API_PORT}`);

const started = Date.now();
const log = (line: string) => console.log(`\x1b[36m[dev]\x1b[0m ${line}`);

let postgres: LocalPostgres | undefined;
let proxy: WsProxy | undefined;
let httpSql: NeonHttpServer | undefined;
let wrangler: ChildProcess | undefined;
let stopping = false;

function killWrangler(signal: NodeJS.Signals = "SIGTERM") {
  // wrangler runs in its own process group (esbuild + workerd children): signal the group,
  // even after wrangler itself exited, since its workerd children may have outlived it.
  if (wrangler?.pid) {
    try {
      process.kill(-wrangler.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

const running = (child: ChildProcess | undefined) =>
  child !== undefined && child.exitCode === null && child.signalCode === null;

async function shutdown(code: number, reason?: string) {
  if (stopping) return;
  stopping = true;
  if (reason) log(reason);
  killWrangler("SIGTERM");
  const forced = setTimeout(() => killWrangler("SIGKILL"), 5_000);
  // A child killed by a signal has exitCode null and signalCode set: waiting on "exit" then hangs.
  if (running(wrangler)) await new Promise((ok) => wrangler?.once("exit", ok));
  clearTimeout(forced);
  releaseInstance();
  await proxy?.close().catch(() => undefined);
  await httpSql?.close().catch(() => undefined);
  if (postgres) {
    log("stopping Postgres");
    await postgres.stop().catch(() => undefined);
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0, "stopping (Ctrl-C)"));
process.on("SIGTERM", () => void shutdown(0, "stopping (SIGTERM)"));
process.on("SIGHUP", () => void shutdown(0, "stopping (terminal closed)"));
// Last resort if something exits the process abruptly: never leave workerd behind.
process.on("exit", () => killWrangler("SIGKILL"));

/** Keys added to .dev.vars.example since .dev.vars was written are appended, values untouched. */
function addMissingDevVars(devVars: string, example: string) {
  const keysOf = (text: string) =>
    new Set(
      text
        .split("\n")
        .map((l) => /^([A-Z0-9_]+)=/.exec(l)?.[1])
        .filter(Boolean),
    );
  const current = readFileSync(devVars, "utf8");
  const have = keysOf(current);
  const missing = readFileSync(example, "utf8")
    .split("\n")
    .filter((l) => {
      const key = /^([A-Z0-9_]+)=/.exec(l)?.[1];
      return key !== undefined && !have.has(key);
    });
  if (missing.length === 0) return;
  writeFileSync(devVars, `${current.replace(/\n?$/, "\n")}${missing.join("\n")}\n`);
  log(`added to .dev.vars from the example: ${missing.map((l) => l.split("=")[0]).join(", ")}`);
}

/** One value of .dev.vars (dotenv syntax: KEY=value, optionally quoted). */
function devVar(devVars: string, key: string): string {
  const value = readDevVar(devVars, key);
  if (!value) throw new Error(`${key} is missing from .dev.vars (see .dev.vars.example)`);
  return value;
}

/**
 * Each running `npm run dev` registers itself in .data/dev-<PORT>.json: its pid, its ports, its
 * data dir and wrangler's process group. A new instance refuses to start next to a live one
 * that uses any of the same ports or data, and cleans up only after instances whose owner is
 * gone (a SIGKILLed run leaves wrangler's group behind; Postgres stops itself when its parent
 * disappears, and a postmaster left anyway is stopped by startLocalPostgres).
 */
interface Instance {
  pid: number;
  api: number;
  pg: number | null;
  proxy: number;
  httpSql?: number;
  dataDir: string | null;
  wranglerPgid?: number;
}

const instanceFile = join(root, ".data", `dev-${API_PORT}.json`);
let instance: Instance | undefined;

function processCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return undefined; // gone
  }
}

const isDevProcess = (pid: number) => processCmdline(pid)?.includes("scripts/dev.ts") ?? false;

function readInstances(): { file: string; info: Instance }[] {
  const dir = join(root, ".data");
  return readdirSync(dir)
    .filter((f) => /^dev-\d+\.json$/.test(f))
    .flatMap((f) => {
      try {
        return [{ file: join(dir, f), info: JSON.parse(readFileSync(join(dir, f), "utf8")) }];
      } catch {
        rmSync(join(dir, f), { force: true });
        return [];
      }
    });
}

async function claimInstance(pgDataDir: string | null) {
  const ours: Instance = {
    pid: process.pid,
    api: API_PORT,
    pg: pgDataDir ? PG_PORT : null,
    proxy: PROXY_PORT,
    httpSql: HTTP_SQL_PORT,
    dataDir: pgDataDir,
  };
  for (const { file, info } of readInstances()) {
    if (info.pid !== process.pid && isDevProcess(info.pid)) {
      const clash =
        info.api === ours.api ||
        info.proxy === ours.proxy ||
        info.httpSql === ours.httpSql ||
        (info.pg !== null && info.pg === ours.pg) ||
        (info.dataDir !== null && info.dataDir === ours.dataDir);
      if (!clash) continue;
      throw new Error(
        `another npm run dev (pid ${info.pid}) is already running: API on ${info.api}, ` +
          `${info.pg ? `Postgres on ${info.pg}, ` : ""}proxies on ${info.proxy} and ${info.httpSql ?? "-"}. ` +
          `Use it, stop it (Ctrl-C in its terminal, or kill ${info.pid}), or start a second ` +
          "stack beside it on other ports: " +
          "PORT=8788 PG_PORT=54339 NEON_WS_PROXY_PORT=54340 NEON_HTTP_PORT=54341 npm run dev",
      );
    }
    // The owner is gone: stop what it left behind, then forget it.
    if (info.wranglerPgid && processCmdline(info.wranglerPgid)?.includes("wrangler")) {
      log(`stopping a wrangler dev (pgid ${info.wranglerPgid}) left by a stopped run`);
      try {
        process.kill(-info.wranglerPgid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    rmSync(file, { force: true });
  }
  instance = ours;
  writeFileSync(instanceFile, JSON.stringify(instance));
}

function recordWrangler(pgid: number) {
  if (!instance) return;
  instance.wranglerPgid = pgid;
  writeFileSync(instanceFile, JSON.stringify(instance));
}

function releaseInstance() {
  if (!instance) return;
  instance = undefined;
  rmSync(instanceFile, { force: true });
}

async function main() {
  mkdirSync(join(root, ".data"), { recursive: true });
  rmSync(join(root, ".data", "wrangler.pgid"), { force: true }); // pre-registry versions
  const external = process.env.DATABASE_URL;
  const dataDir = external ? null : resolveDataDir(PG_DATA, log);
  await claimInstance(dataDir);
  const devVars = join(root, ".dev.vars");
  const example = join(root, ".dev.vars.example");
  if (!existsSync(devVars)) {
    copyFileSync(example, devVars);
    log("wrote .dev.vars from .dev.vars.example");
  } else {
    addMissingDevVars(devVars, example);
  }
  await assertPortFree(API_PORT, "API");
  await assertPortFree(PROXY_PORT, "Neon WebSocket proxy");
  await assertPortFree(HTTP_SQL_PORT, "Neon SQL-over-HTTP endpoint");

  let adminUrl: string;
  if (external || !dataDir) {
    // Seeding publishes demo passwords; the runtime role gets a local password: refuse early.
    assertOwnedDatabase(external ?? "", "migrate, seed demo accounts and set role passwords");
    log(`using the Postgres at DATABASE_URL (${new URL(external ?? "").host})`);
    adminUrl = external ?? "";
  } else {
    postgres = await startLocalPostgres({ dataDir, port: PG_PORT, log });
    postgres.onUnexpectedExit((why) => void shutdown(1, `${why}; stopping`));
    log(`Postgres 17 running on 127.0.0.1:${PG_PORT} (data in ${dataDir})`);
    if (!(await databaseExists(postgres.adminUrl(), DB_NAME))) {
      const c = await connectOrExplain(postgres.adminUrl());
      await c.query(`CREATE DATABASE "${DB_NAME}"`);
      await c.end();
    }
    adminUrl = postgres.adminUrl(DB_NAME);
  }

  await runMigrations(adminUrl);
  log("migrations applied");
  // The database half of the Worker's DB_CONTEXT_SECRET: without it no request can enter its
  // row-level-security context (migration 0011).
  await installContextKey(adminUrl, devVar(devVars, "DB_CONTEXT_SECRET"));
  const client = await connectOrExplain(adminUrl);
  try {
    await seed(client, log);
  } finally {
    await client.end();
  }
  let workerDbUrl = process.env.WORKER_DATABASE_URL;
  if (!workerDbUrl) {
    await enableLocalRuntimeLogin(adminUrl);
    workerDbUrl = runtimeUrl(adminUrl);
  }

  proxy = await startWsProxy(PROXY_PORT);
  log(`Neon WebSocket proxy on 127.0.0.1:${proxy.port}`);
  httpSql = await startNeonHttpServer(HTTP_SQL_PORT);
  log(`Neon SQL-over-HTTP endpoint on ${httpSql.url}/sql`);

  wrangler = spawn(
    join(root, "node_modules", ".bin", "wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(API_PORT),
      "--log-level",
      // info shows the Worker's request log lines and development emails; warn hides both.
      process.env.WRANGLER_LOG ?? "info",
      "--show-interactive-dev-session=false",
      // Computed here so DATABASE_URL / ports overrides reach the Worker; beats .dev.vars.
      "--var",
      `DATABASE_URL:${workerDbUrl}`,
      "--var",
      `NEON_WS_PROXY:127.0.0.1:${proxy.port}`,
      "--var",
      `NEON_HTTP_ENDPOINT:${httpSql.url}/sql`,
      "--persist-to",
      WRANGLER_STATE,
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
      env: offlineWranglerEnv(),
    },
  );
  if (wrangler.pid) recordWrangler(wrangler.pid);
  if (wrangler.stdout) relayWranglerOutput(wrangler.stdout);
  wrangler.on("exit", (code, signal) => {
    if (!stopping) void shutdown(1, `wrangler dev exited (${signal ?? `code ${code}`}); stopping`);
  });

  await waitForApi();
  const base = `http://127.0.0.1:${API_PORT}`;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`API   ${base}   (readiness: ${base}/health/ready)`);
  log(`Docs  ${base}/docs   (OpenAPI: ${base}/openapi.json)`);
  log("Ctrl-C stops everything");
}

/** The API call each development email's action link stands for, ready to paste. */
const EMAIL_ACTIONS: Record<string, { path: string; extra?: Record<string, string> }> = {
  "/verify-email": { path: "/v1/auth/email/verify" },
  "/reset-password": { path: "/v1/auth/password/reset", extra: { password: "<new password>" } },
  "/admin-requests/verify": { path: "/v1/admin-requests/verify" },
  "/accept-invitation": {
    path: "/v1/auth/accept-invitation",
    extra: { password: "<new password>" },
  },
};

function curlForEmailLink(link: string, apiBase: string): string | undefined {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return undefined;
  }
  const action = EMAIL_ACTIONS[url.pathname];
  const token = url.searchParams.get("token");
  if (!action || !token) return undefined;
  const body = JSON.stringify({ token, ...action.extra });
  return `curl -s -X POST ${apiBase}${action.path} -H 'content-type: application/json' -d '${body}'`;
}

interface DevSendLine {
  msg?: string;
  channel?: string;
  to?: string;
  subject?: string;
  template?: string;
  links?: string[];
  simulatedFailure?: number;
  replay?: boolean;
}

/**
 * Passes wrangler's output through, and turns the line each development channel logs when the
 * notifications Queue delivers (src/providers/messaging/dev.ts) into a readable block, with a
 * ready-to-run curl per action link: the links point at a front end that does not run locally.
 */
function relayWranglerOutput(stream: NodeJS.ReadableStream) {
  const apiBase = `http://127.0.0.1:${API_PORT}`;
  createInterface({ input: stream }).on("line", (line) => {
    const start = line.indexOf('{"level"');
    let sent: DevSendLine | undefined;
    if (start >= 0) {
      try {
        const parsed = JSON.parse(line.slice(start)) as DevSendLine;
        if (/^(email|whatsapp|sms) \(dev\)$/.test(parsed?.msg ?? "")) sent = parsed;
      } catch {
        /* not one of ours */
      }
    }
    if (!sent) {
      process.stdout.write(`${line}\n`);
      return;
    }
    const what = sent.subject ?? sent.template ?? "text message";
    if (sent.simulatedFailure) {
      log(
        `\x1b[31m${sent.channel}\x1b[0m to ${sent.to}: ${what} (simulated failure ${sent.simulatedFailure} of 3)`,
      );
      return;
    }
    log(
      `\x1b[33m${sent.channel}\x1b[0m to ${sent.to}: ${what}${sent.replay ? " (replay, not sent twice)" : ""}`,
    );
    for (const link of sent.links ?? []) {
      log(`      ${curlForEmailLink(link, apiBase) ?? link}`);
    }
  });
}

async function waitForApi() {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${API_PORT}/health`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!stopping) throw new Error("wrangler dev did not answer on /health within 120 s");
}

main().catch((err: Error) => {
  console.error(`\x1b[31m[dev] ${err.message}\x1b[0m`);
  void shutdown(1);
});
