/**
 * `npm run bench:db`: the ways a Worker can reach Postgres, side by side in one workerd and one
 * run, each doing the lookup every authenticated request makes (`auth_principal`, as the
 * runtime role): bare (no database), a Neon Pool per request (today), the same with
 * pipelineConnect, Pool.query with poolQueryViaFetch, neon() over HTTP (one statement, and a
 * two-statement transaction), and Hyperdrive with a local connection string (node-postgres).
 * Embedded Postgres, the WebSocket proxy and the SQL-over-HTTP stand-in are our own, on free
 * ports; wrk drives each route over loopback; Markdown goes to bench/results/<date>-db-drivers.md.
 *
 * Env: BENCH_DURATION (s per run, default 5), BENCH_WARMUP (s, default 1), BENCH_ROUNDS (3),
 * BENCH_CONNECTIONS (comma-separated wrk -c values, default 1,8), BENCH_THREADS (wrk threads, 1),
 * BENCH_ONLY (comma-separated variants, e.g. pool,http), BENCH_RTT_MS (round trip added on the
 * database side in a last, separate phase that counts each variant's round trips; default 50,
 * 0 skips it), BENCH_RTT_SAMPLES (requests per variant and side in that phase, 12),
 * BENCH_OUT (results file; default bench/results/<date>-db-drivers.md).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import pg from "pg";
import { unusedPort } from "../test/support/node/blackhole.ts";
import {
  connectOrExplain,
  enableLocalRuntimeLogin,
  installContextKey,
  recreateDatabase,
  runMigrations,
  runtimeUrl,
} from "./lib/db.ts";
import { type DelayProxy, startDelayProxy } from "./lib/delay-proxy.ts";
import { type NeonHttpServer, startNeonHttpServer } from "./lib/neon-http.ts";
import { type LocalPostgres, startLocalPostgres } from "./lib/postgres.ts";
import { offlineWranglerEnv } from "./lib/wrangler-env.ts";
import { startWsProxy, type WsProxy } from "./lib/ws-proxy.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const duration = Number(process.env.BENCH_DURATION ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connectionLevels = (process.env.BENCH_CONNECTIONS ?? "1,8").split(",").map(Number);
// One wrk thread: on a 2-core machine a second one takes CPU from workerd.
const threads = Number(process.env.BENCH_THREADS ?? 1);
const rttMs = Number(process.env.BENCH_RTT_MS ?? 50);
const tripSamples = Number(process.env.BENCH_RTT_SAMPLES ?? 12);
const COMPATIBILITY_DATE = "2026-11-01"; // keep in step with wrangler.toml
const DB_NAME = "bench_db";

interface Variant {
  name: string;
  /** What it is, for the results file. */
  what: string;
  /** Round trips to the database side the protocol makes a request wait for, loopback (no TLS). */
  expectedTrips: string;
}

const VARIANTS: Variant[] = [
  {
    name: "pool",
    what: "new Neon `Pool` per request over the WebSocket proxy (today, as local dev runs it)",
    expectedTrips: "5: TCP, WebSocket upgrade, startup, password, query",
  },
  {
    name: "pool-pipeline",
    what: 'the same with `neonConfig.pipelineConnect = "password"`',
    expectedTrips: "3: TCP, WebSocket upgrade, startup + password + query",
  },
  {
    name: "pool-fetch",
    what: "`Pool.query` with `neonConfig.poolQueryViaFetch = true` (HTTP)",
    expectedTrips: "1: the request (connection kept alive)",
  },
  {
    name: "http",
    what: "`neon(url)`: one statement, one HTTP request",
    expectedTrips: "1: the request (connection kept alive)",
  },
  {
    name: "http-batch",
    what: "`sql.transaction([app_enter(signed), lookup])`: one HTTP request",
    expectedTrips: "1: the request (connection kept alive)",
  },
  {
    name: "hyperdrive",
    what: "node-postgres `Client` to a Miniflare Hyperdrive binding (local connection string)",
    expectedTrips: "4: TCP, startup, password, query",
  },
];

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx answers plus socket errors: any of them means the variant is broken. */
  errors: number;
  requests: number;
}

const fail = (message: string): never => {
  throw new Error(message);
};

// ---------------------------------------------------------------------------------------------
// Everything started is stopped on success, on failure and on Ctrl-C.

const cleanups: (() => Promise<void> | void)[] = [];
let wrkChild: ChildProcess | undefined;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (wrkChild?.pid && wrkChild.exitCode === null) wrkChild.kill("SIGKILL");
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch {
        /* keep cleaning */
      }
    }
  })();
  return cleaning;
}
// `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by tsx),
// and a second signal without a handler would kill it before the clean-up is done.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.error(`bench:db: stopped (${signal})`);
  void cleanup().then(() => process.exit(128 + constants.signals[signal]));
};
for (const signal of SIGNALS) process.on(signal, onSignal);
// A stray error (a socket of one of our proxies, say) still ends in one line and a clean-up.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (err: unknown) => {
    if (stopping) return;
    stopping = true;
    console.error(`bench:db: ${err instanceof Error ? err.message : String(err)}`);
    void cleanup().then(() => process.exit(1));
  });
}

/**
 * Miniflare's exit hook (installed by its constructor) calls process.exit on these signals right
 * after stopping workerd, before our clean-up could stop Postgres and remove the temp
 * directories. Ours disposes Miniflare as well, so its signal listeners go.
 */
function keepOurSignalHandling() {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (listener !== onSignal) process.removeListener(signal, listener);
    }
  }
}

function requireWrk() {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    fail(
      "`wrk` is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`, " +
        "macOS: `brew install wrk`) and run again.",
    );
  }
  return /wrk (\S+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1] ?? "unknown";
}

// ---------------------------------------------------------------------------------------------
// Database: our own embedded Postgres, migrated, with one user and session seeded by the owner.

interface Database {
  adminUrl: (db?: string) => string;
  port: number;
  runtime: string;
  secret: string;
  userId: string;
  sessionId: string;
  /** The lookup's row as app_runtime sees it over plain node-postgres, as JSON. */
  expected: string;
  serverVersion: string;
  passwordEncryption: string;
}

async function startDatabase(): Promise<Database> {
  // Recreated by the Postgres child (as root it must be the postgres user's to create).
  const dataDir = mkdtempSync(join(tmpdir(), "coaching-api-bench-db-pg-"));
  rmSync(dataDir, { recursive: true });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const local: LocalPostgres = await startLocalPostgres({
    dataDir,
    port: await unusedPort(),
    ephemeral: true,
    log: (line) => console.info(`bench:db: ${line}`),
  });
  cleanups.push(() => local.stop());
  local.onUnexpectedExit((reason) => {
    // Ctrl-C reaches Postgres' process group too, possibly before it reaches us.
    setTimeout(() => {
      if (stopping) return;
      stopping = true;
      console.error(`bench:db: Postgres stopped unexpectedly (${reason})`);
      void cleanup().then(() => process.exit(1));
    }, 500);
  });
  const adminUrl = (db = "postgres") => local.adminUrl(db);
  await recreateDatabase(adminUrl(), DB_NAME);
  await runMigrations(adminUrl(DB_NAME));
  await enableLocalRuntimeLogin(adminUrl());
  const secret = randomBytes(32).toString("hex");
  await installContextKey(adminUrl(DB_NAME), secret);
  const auth = await requireCleartextPasswordAuth(adminUrl());

  const owner = await connectOrExplain(adminUrl(DB_NAME));
  let userId: string;
  let sessionId: string;
  try {
    const user = await owner.query<{ id: string }>(
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       VALUES ('bench@example.invalid', 'not-a-password-hash', 'Bench Student', 'student', now())
       RETURNING id`,
    );
    userId = user.rows[0]?.id ?? fail("seeding the user returned no id");
    const session = await owner.query<{ id: string }>(
      "INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id",
      [userId],
    );
    sessionId = session.rows[0]?.id ?? fail("seeding the session returned no id");
  } finally {
    await owner.end();
  }

  const runtime = runtimeUrl(adminUrl(), DB_NAME);
  const check = await connectOrExplain(runtime);
  let expected: string;
  let serverVersion: string;
  try {
    const row = await check.query("select * from auth_principal($1, $2)", [userId, sessionId]);
    if (row.rows.length !== 1 || row.rows[0]?.id !== userId) {
      fail("auth_principal() does not return the seeded user to app_runtime");
    }
    expected = canonical(row.rows[0]);
    const version = await check.query<{ v: string }>("select current_setting('server_version') v");
    serverVersion = version.rows[0]?.v ?? "?";
  } finally {
    await check.end();
  }
  return {
    adminUrl,
    port: local.port,
    runtime,
    secret,
    userId,
    sessionId,
    expected,
    serverVersion,
    passwordEncryption: auth.passwordEncryption,
  };
}

/**
 * pipelineConnect sends the startup message, the password and the first query in one go, before
 * the server has said how it wants to authenticate: that only works when it asks for a cleartext
 * password (pg_hba method `password`), as Neon's proxy does. The embedded cluster is initialised
 * with that method; this states it for our database and role, first in pg_hba.conf, and checks
 * that the server really asks app_runtime for a cleartext password.
 */
async function requireCleartextPasswordAuth(adminUrl: string) {
  const admin = await connectOrExplain(adminUrl);
  let passwordEncryption: string;
  try {
    const hba = await admin.query<{ f: string }>("select current_setting('hba_file') f");
    const file = hba.rows[0]?.f ?? fail("cannot find pg_hba.conf");
    const rule = `host ${DB_NAME} app_runtime 127.0.0.1/32 password\n`;
    writeFileSync(file, rule + readFileSync(file, "utf8"));
    await admin.query("select pg_reload_conf()");
    const bad = await admin.query(
      "select line_number, error from pg_hba_file_rules where error is not null",
    );
    if (bad.rows.length > 0) fail(`pg_hba.conf does not parse: ${JSON.stringify(bad.rows)}`);
    passwordEncryption =
      (await admin.query<{ p: string }>("select current_setting('password_encryption') p")).rows[0]
        ?.p ?? "?";
  } finally {
    await admin.end();
  }
  // The reload is asynchronous: wait until a new connection is asked for a cleartext password.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client(runtimeUrl(adminUrl, DB_NAME));
    let cleartext = false;
    (client as unknown as { connection: pg.Connection }).connection.once(
      "authenticationCleartextPassword",
      () => {
        cleartext = true;
      },
    );
    await client.connect();
    await client.end();
    if (cleartext) break;
    if (attempt >= 50) fail("Postgres does not ask app_runtime for a cleartext password");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { passwordEncryption };
}

interface Anatomy {
  connect: number;
  firstLookup: number;
  nextLookup: number;
}

/**
 * What a new backend costs on this machine, measured from Node with node-postgres (no Worker,
 * no proxy): connecting (process start, password check), the first lookup on it (cold caches,
 * plpgsql, pgcrypto) and the next one (warm). Medians of `samples`.
 */
async function backendAnatomy(db: Database, samples = 15): Promise<Anatomy> {
  const connect: number[] = [];
  const firstLookup: number[] = [];
  const nextLookup: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const client = await connectOrExplain(db.runtime);
    const t1 = performance.now();
    try {
      await client.query("select * from auth_principal($1, $2)", [db.userId, db.sessionId]);
      const t2 = performance.now();
      await client.query("select * from auth_principal($1, $2)", [db.userId, db.sessionId]);
      const t3 = performance.now();
      connect.push(t1 - t0);
      firstLookup.push(t2 - t1);
      nextLookup.push(t3 - t2);
    } finally {
      await client.end();
    }
  }
  return {
    connect: median(connect),
    firstLookup: median(firstLookup),
    nextLookup: median(nextLookup),
  };
}

/** JSON with sorted keys: the same row from any driver compares equal. */
function canonical(row: unknown): string {
  const value = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
  return JSON.stringify(
    Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
}

// ---------------------------------------------------------------------------------------------
// The bench Worker: bundled by the project's wrangler, served by one workerd (Miniflare's API).

function build(outDir: string): string {
  const config = {
    name: "coaching-api-bench-db",
    main: join(root, "scripts/bench/db-worker.ts"),
    compatibility_date: COMPATIBILITY_DATE,
    compatibility_flags: ["nodejs_compat"],
  };
  const configPath = join(outDir, "wrangler.json");
  writeFileSync(configPath, JSON.stringify(config));
  const bundleDir = join(outDir, "bundle");
  const wrangler = spawnSync(
    "npx",
    ["wrangler", "deploy", "--dry-run", "--config", configPath, "--outdir", bundleDir],
    { cwd: root, encoding: "utf8", env: offlineWranglerEnv() },
  );
  const script = join(bundleDir, "db-worker.js");
  if (wrangler.status !== 0 || !existsSync(script)) {
    console.error(wrangler.stdout, wrangler.stderr);
    fail("building the bench worker failed (wrangler output above)");
  }
  return script;
}

interface Endpoints {
  wsProxy: string;
  httpEndpoint: string;
  hyperdrive: string;
}

async function startWorker(
  scriptPath: string,
  db: Database,
  endpoints: Endpoints,
): Promise<{ base: string; stop: () => Promise<void> }> {
  const options = convertV4MiniflareOptions({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      DATABASE_URL: db.runtime,
      NEON_WS_PROXY: endpoints.wsProxy,
      NEON_HTTP_ENDPOINT: endpoints.httpEndpoint,
      DB_CONTEXT_SECRET: db.secret,
      BENCH_USER_ID: db.userId,
      BENCH_SESSION_ID: db.sessionId,
    },
    hyperdrives: { HYPERDRIVE: endpoints.hyperdrive },
    host: "127.0.0.1",
    port: 0,
  });
  const mf = new Miniflare(options);
  keepOurSignalHandling();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await mf.dispose();
  };
  cleanups.push(stop);
  const url = await mf.ready;
  return { base: `http://127.0.0.1:${url.port}`, stop };
}

/** Each variant must answer 200 with exactly the row app_runtime gets over plain node-postgres. */
async function sanityCheck(base: string, db: Database, variants: Variant[]) {
  const bare = await fetch(`${base}/bare`);
  if (bare.status !== 200) fail(`/bare answered ${bare.status}`);
  for (const v of variants) {
    // Twice: the second request runs on whatever the first one left behind (pools, sockets).
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/${v.name}`);
      const text = await res.text();
      if (res.status !== 200) fail(`${v.name} answered ${res.status}: ${text.slice(0, 300)}`);
      const got = canonical(JSON.parse(text));
      if (got !== db.expected) fail(`${v.name} returned ${got}, expected ${db.expected}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// wrk

function parseLatencyMs(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
  if (!match?.[1] || !match[2]) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function wrk(url: string, connections: number, seconds: number): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const args = ["-t", String(Math.min(threads, connections)), "-c", String(connections)];
    const child = spawn("wrk", [...args, "-d", `${seconds}s`, "--latency", url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    wrkChild = child;
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    // Bounded: wrk stops itself after `seconds`; this only catches a hung run.
    const guard = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
      if (code !== 0 || !rps) return reject(new Error(`wrk failed (exit ${code}): ${out.trim()}`));
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
        out,
      );
      const socketErrors = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
      resolvePromise({
        rps: Number(rps),
        p50: parseLatencyMs(out, "50%"),
        p99: parseLatencyMs(out, "99%"),
        errors: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) + socketErrors,
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

async function measure(base: string, name: string, connections: number, label = ""): Promise<Run> {
  const url = `${base}/${name}`;
  if (warmup > 0) await wrk(url, connections, warmup);
  const run = await wrk(url, connections, duration);
  console.info(
    `bench:db: -c${connections} ${name}${label ? ` (${label})` : ""}: ${run.rps.toFixed(0)} req/s, ` +
      `p50 ${run.p50.toFixed(2)} ms${run.errors ? `, ${run.errors} errors` : ""}`,
  );
  return run;
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ratio?: number;
  ratioMin?: number;
  ratioMax?: number;
  errors: number;
  requests: number;
}

function summarise(name: string, runs: Run[], bareRuns: Run[] | undefined): Row {
  const ratios = bareRuns?.map((b, i) => (runs[i]?.rps ?? Number.NaN) / b.rps);
  return {
    name,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    ratio: ratios && median(ratios),
    ratioMin: ratios && Math.min(...ratios),
    ratioMax: ratios && Math.max(...ratios),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    requests: runs.reduce((n, r) => n + r.requests, 0),
  };
}

/** The fastest working variant, and those whose ratio ranges overlap its range (a tie here). */
function verdict(c: number, rows: Row[]): string {
  const working = rows.filter((r) => r.errors === 0).sort((a, b) => b.rps - a.rps);
  const fastest = working[0];
  if (!fastest) return `No variant ran without errors at -c${c}.`;
  const tied = working
    .slice(1)
    .filter(
      (r) => rounds > 1 && (r.ratioMax ?? 0) >= (fastest.ratioMin ?? Number.POSITIVE_INFINITY),
    );
  return (
    `Fastest with a database at -c${c}: **${fastest.name}** (${fastest.rps.toFixed(0)} req/s, ` +
    `p50 ${fastest.p50.toFixed(2)} ms)` +
    (tied.length > 0
      ? `; not told apart in this run from ${tied.map((r) => `**${r.name}**`).join(", ")} ` +
        "(their ratio ranges overlap)."
      : ".")
  );
}

function table(rows: Row[]): string[] {
  const lines = [
    "| variant | req/s | p50 ms | p99 ms | vs bare (min–max) | errors |",
    "| :-- | --: | --: | --: | --: | --: |",
  ];
  for (const r of rows) {
    const ratio =
      r.ratio === undefined
        ? "1.00×"
        : `${r.ratio.toFixed(3)}× (${r.ratioMin?.toFixed(3)}–${r.ratioMax?.toFixed(3)})`;
    lines.push(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio} | ${r.errors} of ${r.requests} |`,
    );
  }
  return lines;
}

async function main() {
  const wrkVersion = requireWrk();
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
  const variants = VARIANTS.filter((v) => !only || only.includes(v.name));
  if (only && variants.length !== only.length) {
    fail(`BENCH_ONLY names unknown variants; known: ${VARIANTS.map((v) => v.name).join(", ")}`);
  }
  if (![duration, warmup, rounds, rttMs, tripSamples, ...connectionLevels].every(Number.isFinite)) {
    fail(
      "BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_RTT_MS and " +
        "BENCH_RTT_SAMPLES must be numbers",
    );
  }
  const startedAt = new Date();
  const loadBefore = loadavg();

  console.info("bench:db: starting Postgres, migrating, seeding…");
  const db = await startDatabase();
  const wsProxy: WsProxy = await startWsProxy(0);
  cleanups.push(() => wsProxy.close());
  // The driver's poolQueryViaFetch drops the port from the connection string it sends.
  const neonHttp: NeonHttpServer = await startNeonHttpServer(0, { defaultPort: db.port });
  cleanups.push(() => neonHttp.close());

  const scratch = mkdtempSync(join(tmpdir(), "coaching-api-bench-db-"));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  console.info("bench:db: building the bench worker…");
  const scriptPath = build(scratch);
  // sslmode=disable: workerd connects straight to Postgres (otherwise Miniflare puts a Node
  // proxy in between to negotiate TLS).
  const hyperdriveUrl = `${db.runtime}?sslmode=disable`;
  const worker = await startWorker(scriptPath, db, {
    wsProxy: `127.0.0.1:${wsProxy.port}`,
    httpEndpoint: `${neonHttp.url}/sql`,
    hyperdrive: hyperdriveUrl,
  });
  await sanityCheck(worker.base, db, variants);
  const anatomy = await backendAnatomy(db);
  console.info(
    `bench:db: every variant returns the seeded row; ${rounds} round(s), ${duration} s per run ` +
      `(+${warmup} s warm-up), wrk -c ${connectionLevels.join(", ")}`,
  );

  // Each round: per connection level, bare, then the variants in an order rotated by the round,
  // so drift during a round (neighbours, GC) does not always land on the same variant.
  const runs = new Map<string, Run[]>();
  const key = (c: number, name: string) => `${c}:${name}`;
  const push = (c: number, name: string, run: Run) => {
    const list = runs.get(key(c, name)) ?? [];
    list.push(run);
    runs.set(key(c, name), list);
  };
  for (let round = 0; round < rounds; round++) {
    console.info(`bench:db: round ${round + 1} of ${rounds}`);
    for (const c of connectionLevels) {
      push(c, "bare", await measure(worker.base, "bare", c));
      const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
      for (const v of order) push(c, v.name, await measure(worker.base, v.name, c));
    }
  }

  // Round trips: the same routes with `rttMs` added between workerd and the database side.
  const trips =
    rttMs > 0
      ? await measureRoundTrips(
          worker.base,
          scriptPath,
          db,
          { wsProxy: wsProxy.port, neonHttp: neonHttp.port },
          variants,
        )
      : [];
  await worker.stop();

  const sections: string[] = [];
  for (const c of connectionLevels) {
    const bare = runs.get(key(c, "bare")) ?? [];
    const rows = [
      summarise("bare", bare, undefined),
      ...variants.map((v) => summarise(v.name, runs.get(key(c, v.name)) ?? [], bare)),
    ];
    sections.push(`### wrk -c${c}`, "", ...table(rows), "", verdict(c, rows.slice(1)), "");
  }
  const broken = variants.filter(
    (v) =>
      connectionLevels.some((c) => (runs.get(key(c, v.name)) ?? []).some((r) => r.errors > 0)) ||
      trips.some((t) => t.name === v.name && t.errors > 0),
  );

  const report = renderReport({
    startedAt,
    loadBefore,
    wrkVersion,
    db,
    variants,
    sections,
    trips,
    broken,
    anatomy,
  });
  const out = resolve(
    root,
    process.env.BENCH_OUT ?? `bench/results/${startedAt.toISOString().slice(0, 10)}-db-drivers.md`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  console.info(`\n${sections.join("\n")}`);
  if (trips.length) console.info(tripsTable(trips).join("\n"));
  console.info(`\nbench:db: results in ${relative(root, out)}`);
  if (broken.length) {
    fail(`errors during measurement in: ${broken.map((v) => v.name).join(", ")} (see the table)`);
  }
}

interface Trips {
  name: string;
  nearP50: number;
  farP50: number;
  /** Round trips counted per request: median, min, max. */
  trips: { median: number; min: number; max: number };
  errors: number;
}

/** One request; its latency in ms and whether it answered 200. */
async function timedRequest(url: string) {
  const start = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  const end = performance.now();
  return { start, end, ms: end - start, ok: res.status === 200 };
}

/**
 * A second workerd with the same script, whose database endpoints (WebSocket proxy, HTTP
 * endpoint, Hyperdrive's Postgres) sit behind delay proxies (scripts/lib/delay-proxy.ts) adding
 * `rttMs` per round trip. One request at a time, alternating with the loopback workerd so drift
 * hits both; the proxies count the round trips each request waited for, which is what decides
 * latency from an edge far from the database.
 */
async function measureRoundTrips(
  near: string,
  scriptPath: string,
  db: Database,
  endpoints: { wsProxy: number; neonHttp: number },
  variants: Variant[],
): Promise<Trips[]> {
  const proxies: DelayProxy[] = [];
  const delayed = async (port: number) => {
    const proxy = await startDelayProxy({ targetPort: port, rttMs });
    cleanups.push(() => proxy.close());
    proxies.push(proxy);
    return proxy.port;
  };
  const hyperdrive = new URL(db.runtime);
  hyperdrive.port = String(await delayed(db.port));
  const worker = await startWorker(scriptPath, db, {
    wsProxy: `127.0.0.1:${await delayed(endpoints.wsProxy)}`,
    httpEndpoint: `http://127.0.0.1:${await delayed(endpoints.neonHttp)}/sql`,
    hyperdrive: `${hyperdrive}?sslmode=disable`,
  });
  await sanityCheck(worker.base, db, variants);
  console.info(`bench:db: round trips: +${rttMs} ms per round trip on the database side`);
  const results: Trips[] = [];
  for (const v of variants) {
    const nearMs: number[] = [];
    const farMs: number[] = [];
    const counts: number[] = [];
    let errors = 0;
    for (let i = 0; i < tripSamples; i++) {
      const a = await timedRequest(`${near}/${v.name}`);
      const b = await timedRequest(`${worker.base}/${v.name}`);
      nearMs.push(a.ms);
      farMs.push(b.ms);
      counts.push(proxies.reduce((n, p) => n + p.roundTrips(b.start, b.end), 0));
      errors += (a.ok ? 0 : 1) + (b.ok ? 0 : 1);
    }
    const t: Trips = {
      name: v.name,
      nearP50: median(nearMs),
      farP50: median(farMs),
      trips: { median: median(counts), min: Math.min(...counts), max: Math.max(...counts) },
      errors,
    };
    console.info(
      `bench:db: ${v.name}: ${t.trips.median} round trips; p50 ${t.nearP50.toFixed(1)} ms ` +
        `loopback, ${t.farP50.toFixed(1)} ms at +${rttMs} ms`,
    );
    results.push(t);
  }
  await worker.stop();
  return results;
}

function tripsTable(trips: Trips[]): string[] {
  const count = ({ median: m, min, max }: Trips["trips"]) =>
    min === max ? String(m) : `${m} (${min}–${max})`;
  return [
    `| variant | round trips counted | by the protocol | p50 ms, loopback | p50 ms, +${rttMs} ms RTT | errors |`,
    "| :-- | --: | :-- | --: | --: | --: |",
    ...trips.map(
      (t) =>
        `| ${t.name} | ${count(t.trips)} | ` +
        `${VARIANTS.find((v) => v.name === t.name)?.expectedTrips ?? ""} | ` +
        `${t.nearP50.toFixed(1)} | ${t.farP50.toFixed(1)} | ${t.errors} |`,
    ),
  ];
}

function packageVersion(name: string): string {
  try {
    const file = join(root, "node_modules", name, "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

interface ReportInput {
  startedAt: Date;
  loadBefore: number[];
  wrkVersion: string;
  db: Database;
  variants: Variant[];
  sections: string[];
  trips: Trips[];
  broken: Variant[];
  anatomy: Anatomy;
}

function renderReport(r: ReportInput): string {
  const cpu = cpus();
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  const lines = [
    "# Database access from the Worker: the alternatives side by side",
    "",
    `Run ${r.startedAt.toISOString()} by \`npm run bench:db\` (scripts/bench-db.ts) on ` +
      `${cpu[0]?.model.trim() ?? "?"} × ${cpu.length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}; load average ` +
      `${load(r.loadBefore)} before and ${load(loadavg())} after (a shared machine: compare ` +
      "ratios within this run, not absolute numbers across runs).",
    "",
    `Node ${process.versions.node}, workerd via miniflare ${packageVersion("miniflare")}, ` +
      `@neondatabase/serverless ${packageVersion("@neondatabase/serverless")}, ` +
      `pg ${packageVersion("pg")}, PostgreSQL ${r.db.serverVersion} (embedded, ` +
      `\`password_encryption = ${r.db.passwordEncryption}\`), wrk ${r.wrkVersion}. ` +
      `${rounds} round(s) of ${duration} s per run (+${warmup} s warm-up), wrk -t${threads}, ` +
      `-c ${connectionLevels.join(" and -c ")}.`,
    "",
    "Every request but `bare` runs `select * from auth_principal($1, $2)` (the lookup of every " +
      "authenticated request) as `app_runtime` for a seeded user and session, and answers 200 " +
      "only if the row is that user's; before measuring, each variant's row was compared with " +
      "the one node-postgres gets. All variants run in one workerd, one after another, against " +
      "one embedded Postgres; the WebSocket proxy and the SQL-over-HTTP stand-in run in the " +
      "bench's Node process. Figures are medians over rounds; `vs bare` is the median of each " +
      "round's ratio to the bare run of the same round and connection level (its range in " +
      "brackets); `errors` counts non-2xx answers and socket errors.",
    "",
    "| variant | what it does |",
    "| :-- | :-- |",
    "| bare | no database: the ratio base |",
    ...r.variants.map((v) => `| ${v.name} | ${v.what} |`),
    "",
    "## Throughput and latency",
    "",
    ...r.sections,
    `A new Postgres backend on this machine, from Node with node-postgres (same run): connect ` +
      `${r.anatomy.connect.toFixed(1)} ms, first lookup on it ${r.anatomy.firstLookup.toFixed(1)} ` +
      `ms (cold caches, plpgsql, pgcrypto), next lookup ${r.anatomy.nextLookup.toFixed(1)} ms. ` +
      "Every variant that opens a connection per request (pool, pool-pipeline, hyperdrive) pays " +
      "the first two on each request; the HTTP variants reach backends the endpoint keeps open.",
    "",
  ];
  if (r.trips.length > 0) {
    lines.push(
      "## Round trips",
      "",
      `The same routes from a second workerd whose database side (WebSocket proxy, HTTP ` +
        `endpoint, Hyperdrive's Postgres) sits behind a proxy adding ${rttMs} ms per round trip ` +
        "(and one before a new connection carries data, as a TCP handshake; no TLS), " +
        `${tripSamples} requests one at a time, alternating with the loopback workerd. The ` +
        "proxies count, per request, the handshakes and the flights of bytes whose reply it " +
        "waited for; the range across requests is in brackets when they differ.",
      "",
      ...tripsTable(r.trips),
      "",
    );
  }
  if (r.broken.length > 0) {
    lines.push(
      `**Errors during measurement in: ${r.broken.map((v) => v.name).join(", ")}.** Their ` +
        "figures do not count.",
      "",
    );
  }
  lines.push(...NOTES, "");
  return lines.join("\n");
}

/** What each variant needed and what the loopback setup cannot show (static text). */
const NOTES = [
  "## What each variant needed",
  "",
  "- **pool**: the WebSocket→TCP proxy (scripts/lib/ws-proxy.ts) and the local settings of " +
    "`applyProxy` in src/db/client.ts: `wsProxy`, `useSecureWebSocket = false`, " +
    "`pipelineConnect = false`. Only local development turns pipelining off: in production " +
    '`applyProxy` does nothing and the driver default, `pipelineConnect = "password"`, applies, ' +
    "so production today behaves like **pool-pipeline**, not like this row.",
  '- **pool-pipeline**: `pipelineConnect = "password"` sends startup, password and first query ' +
    "without waiting, so the server must ask for a cleartext password: pg_hba method `password` " +
    "for app_runtime. The embedded cluster is initialised with that method; the bench also puts " +
    "an explicit `host bench_db app_runtime 127.0.0.1/32 password` rule first and checks that " +
    "the server asks app_runtime for a cleartext password. `password_encryption` stays " +
    "`scram-sha-256`: it only decides how the password is stored, and Postgres checks the " +
    "cleartext against the SCRAM verifier itself. On Neon the proxy asks for the cleartext " +
    "password inside the TLS of the WebSocket and authenticates; here there is no TLS, the " +
    "proxy is a dumb pipe and Postgres authenticates.",
  "- **pool-fetch**: `poolQueryViaFetch = true` and `fetchEndpoint`. It silently falls back to " +
    "the WebSocket when the Pool has any listener other than `error`, and `createDb` adds a " +
    '`"connect"` listener, so the app as written would never use it; the bench Pool has only an ' +
    "`error` listener and the route refuses results not marked `viaNeonFetch`. Only `Pool.query` " +
    "goes over HTTP (`pool.connect()`, transactions and Drizzle's `db.transaction` still open a " +
    "WebSocket). The driver rebuilds the connection string without its port (and query " +
    "parameters); Neon routes by host name, the local stand-in needed `defaultPort`.",
  "- **http**, **http-batch**: `neon(url)` with `fetchEndpoint` pointing at the local stand-in " +
    "(scripts/lib/neon-http.ts). The batch is `sql.transaction([app_enter(signed context), " +
    "lookup])`, signed with `contextSignature` from src/db/transaction.ts: one request, one " +
    "transaction on the endpoint's side.",
  "- **hyperdrive**: Miniflare's `hyperdrives: { HYPERDRIVE: \"postgres://app_runtime:…@127.0.0.1:" +
    '<port>/bench_db?sslmode=disable" }` and node-postgres (`pg`, a devDependency today; it ' +
    "would have to become a dependency) bundled by wrangler with `nodejs_compat`; pg reaches " +
    "the binding's host through `cloudflare:sockets`. `sslmode=disable` lets workerd connect " +
    "straight to Postgres; without it Miniflare puts a Node proxy in between to negotiate TLS. " +
    "Locally there is neither Hyperdrive's connection pool nor its cache: every request opens a " +
    "TCP connection and a new backend, which is the worst case of Hyperdrive, not its figure in " +
    "production.",
  "",
  "## What this can and cannot show about production",
  "",
  "- Loopback round trips cost ~0.05 ms, so the throughput tables rank CPU and process cost " +
    "on one shared 2-core machine (a new backend per request, WebSocket framing, JSON, the " +
    "Node stand-ins), not distance. From an Indian edge to a Neon region abroad each round trip " +
    "costs tens of milliseconds, so there the round-trip count decides: p50 ≈ loopback p50 + " +
    "round trips × RTT. TLS is not simulated: every new wss:// or https:// connection in " +
    "production adds a TLS handshake round trip on top of the counted ones.",
  "- In production over TLS, per request to Neon's region: today's Pool (pipelined) waits for " +
    "TCP, TLS, the WebSocket upgrade and one Postgres flight, 4 round trips (6 without " +
    "pipelining); HTTP waits for 1 on a reused connection and 3 (TCP, TLS, request) on a new " +
    "one. Hyperdrive's 4 would stay inside Cloudflare's location except the query itself: 1 to " +
    "the region, none on a cache hit.",
  "- Neon's WebSocket path starts a new backend per connection as this setup does (unless the " +
    "connection string is the `-pooler` one, whose PgBouncer keeps backends warm; not " +
    "modelled), so the cold-backend cost above applies to it too, on Neon's hardware. Neon's " +
    "proxy keeps connections to the compute open for HTTP queries, as the stand-in's pool does. " +
    "A suspended compute adds its cold start to whichever request wakes it, on every path.",
  "- Whether workerd reuses the HTTP connection to the endpoint between requests (it does here, " +
    "keep-alive on loopback) is not guaranteed at Cloudflare's edge; a fresh connection adds " +
    "TCP + TLS round trips to the HTTP variants.",
  "- Hyperdrive in production pools connections next to the database and can cache reads; " +
    "neither exists locally. Its cache must not answer the auth lookup (a revoked session has " +
    "to fail at once), which would need checking on a real deployment.",
  "- At -c8 the machine itself is the bottleneck (workerd, Postgres, the proxies and wrk share " +
    "two cores with other work), so -c8 shows CPU per request under saturation, not how an " +
    "edge location behaves under load.",
];

main().then(
  () => cleanup(),
  async (err: unknown) => {
    await cleanup();
    console.error(`bench:db: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
