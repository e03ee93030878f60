/**
 * `npm run dev`: the whole stack, offline, one command. Starts an embedded PostgreSQL 17 (or
 * uses DATABASE_URL), applies migrations, seeds demo data, starts the Neon WebSocket proxy,
 * writes .dev.vars if missing, and runs `wrangler dev` on http://127.0.0.1:8787.
 * Ctrl-C, or any part failing, stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  connectOrExplain,
  databaseExists,
  enableLocalRuntimeLogin,
  runMigrations,
  runtimeUrl,
} from "./lib/db.ts";
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
const DB_NAME = "coaching";

const started = Date.now();
const log = (line: string) => console.log(`\x1b[36m[dev]\x1b[0m ${line}`);

let postgres: LocalPostgres | undefined;
let proxy: WsProxy | undefined;
let wrangler: ChildProcess | undefined;
let stopping = false;
let outboxClient: { end: () => Promise<void> } | undefined;

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

async function shutdown(code: number, reason?: string) {
  if (stopping) return;
  stopping = true;
  if (reason) log(reason);
  killWrangler("SIGTERM");
  const forced = setTimeout(() => killWrangler("SIGKILL"), 5_000);
  if (wrangler && wrangler.exitCode === null) {
    await new Promise((ok) => wrangler?.once("exit", ok));
  }
  clearTimeout(forced);
  rmSync(wranglerPidFile, { force: true });
  await outboxClient?.end().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
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

const wranglerPidFile = join(root, ".data", "wrangler.pgid");

/** A SIGKILLed `npm run dev` leaves wrangler's process group behind: stop it before starting. */
async function stopStaleWrangler() {
  if (!existsSync(wranglerPidFile)) return;
  const pgid = Number(readFileSync(wranglerPidFile, "utf8").trim());
  rmSync(wranglerPidFile, { force: true });
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pgid}/cmdline`, "utf8");
  } catch {
    return; // already gone
  }
  if (!cmdline.includes("wrangler")) return; // the pid was reused by something else
  log(`stopping a wrangler dev (pgid ${pgid}) left running by an earlier run`);
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    /* gone meanwhile */
  }
  await new Promise((r) => setTimeout(r, 500));
}

async function main() {
  mkdirSync(join(root, ".data"), { recursive: true });
  await stopStaleWrangler();
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

  let adminUrl: string;
  const external = process.env.DATABASE_URL;
  if (external) {
    log(`using the Postgres at DATABASE_URL (${new URL(external).host})`);
    adminUrl = external;
  } else {
    const dataDir = resolveDataDir(join(root, ".data", "postgres"), log);
    postgres = await startLocalPostgres({ dataDir, port: PG_PORT, log });
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

  wrangler = spawn(
    join(root, "node_modules", ".bin", "wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(API_PORT),
      "--log-level",
      process.env.WRANGLER_LOG ?? "warn",
      "--show-interactive-dev-session=false",
      // Computed here so DATABASE_URL / ports overrides reach the Worker; beats .dev.vars.
      "--var",
      `DATABASE_URL:${workerDbUrl}`,
      "--var",
      `NEON_WS_PROXY:127.0.0.1:${proxy.port}`,
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "inherit", "inherit"],
      env: offlineWranglerEnv(),
    },
  );
  if (wrangler.pid) writeFileSync(wranglerPidFile, String(wrangler.pid));
  wrangler.on("exit", (code, signal) => {
    if (!stopping) void shutdown(1, `wrangler dev exited (${signal ?? `code ${code}`}); stopping`);
  });

  await waitForApi();
  await watchOutbox(adminUrl);
  const base = `http://127.0.0.1:${API_PORT}`;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`API   ${base}   (readiness: ${base}/health/ready)`);
  log(`Docs  ${base}/docs   (OpenAPI: ${base}/openapi.json)`);
  log("Ctrl-C stops everything");
}

/**
 * Prints each email the app "sends" in development (the outbox provider stores them) with its
 * links, so sign-up verification and password resets can be clicked from the console.
 */
async function watchOutbox(adminUrl: string) {
  const client = await connectOrExplain(adminUrl);
  outboxClient = client;
  // Timestamps kept as Postgres text: a JS Date would drop microseconds and repeat rows.
  const start = await client.query<{ now: string }>("select now()::text as now");
  let since = start.rows[0]?.now ?? new Date().toISOString();
  const poll = async () => {
    if (stopping) return;
    try {
      const rows = await client.query<{
        created_at: string;
        to_address: string;
        subject: string;
        links: string[];
      }>(
        `select created_at::text, to_address, subject, links from email_outbox
          where created_at > $1::timestamptz order by created_at`,
        [since],
      );
      for (const r of rows.rows) {
        since = r.created_at;
        log(`\x1b[33memail\x1b[0m to ${r.to_address}: ${r.subject}`);
        for (const link of r.links) log(`      ${link}`);
      }
    } catch {
      /* Postgres restarting or stopping: try again next tick */
    }
    setTimeout(poll, 1_000).unref();
  };
  void poll();
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
