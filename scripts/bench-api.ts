/**
 * `npm run bench:api`: the real API under load. The Worker (src/index.ts, bundled by the
 * project's wrangler from wrangler.toml, with that file's bindings: the RATE_LIMITER Durable
 * Object, the CACHE KV namespace, CF_VERSION_METADATA and its vars) runs in one workerd through
 * Miniflare's Node API (not `wrangler dev`, whose proxy dominates the cost), against an embedded
 * Postgres 17 seeded with 100,000 users, sessions and audit rows, through the Neon driver as
 * app_runtime (row-level security on) on both of the app's paths: reads over the local
 * SQL-over-HTTP endpoint, interactive transactions over the local WebSocket proxy. Driven by wrk
 * over loopback.
 *
 * Scenarios, at every connection count, each between two GET /health runs (ratios are to the
 * mean of those two, measured in the same run): GET /v1/me; GET /v1/admin/users?limit=50, the
 * first page and the page BENCH_DEEP rows deep (see deepCursor); POST /v1/auth/refresh, each
 * request spending a distinct never-used refresh token of a seeded session
 * (scripts/bench/refresh-pool.lua), so every one rotates a live token.
 *
 * Rate limits would deny a benchmark: RATE_LIMIT_POLICIES raises the `api`, `session` and
 * `catalogue` limits (modes, algorithms and the fast-mode sync batches stay as in production);
 * the results say so.
 * The local SQL-over-HTTP endpoint (scripts/lib/neon-http.ts) runs in this process, and the
 * Worker gets its URL as NEON_HTTP_ENDPOINT.
 *
 * Besides wrk's numbers, each run reports CPU milliseconds per request (Linux /proc) of workerd,
 * of Postgres (all of its processes, live and ended) and of this process (the WebSocket proxy
 * and the SQL-over-HTTP endpoint): on a shared machine, CPU per request says where the cost
 * is even when the neighbours change the throughput.
 *
 * Env:
 *   BENCH_DURATION     seconds per measured run (default 5)
 *   BENCH_WARMUP       seconds of unmeasured warm-up before each run (1)
 *   BENCH_ROUNDS       rounds of the whole sequence; the table shows medians (2)
 *   BENCH_CONNECTIONS  comma-separated wrk connection counts (1,8)
 *   BENCH_THREADS      wrk threads (1: on 2 cores a second one takes CPU from workerd)
 *   BENCH_ROWS         users, sessions and audit rows to seed, each (100000)
 *   BENCH_DEEP         rows before the deep page (90% of BENCH_ROWS)
 *   BENCH_FOLLOW_API   1: reach the deep page by following the cursor through the API all the
 *                      way (minutes; see deepCursor)
 *   BENCH_ONLY         scenarios to measure, comma-separated: me, users-first, users-deep, courses,
 *                      refresh (all)
 *   BENCH_OUTPUT       results file (bench/results/<date>-api.md); "-" prints the table only
 *
 * Everything it starts (Postgres, proxies, workerd, wrk) stops on exit, on failure and on
 * Ctrl-C. Needs `wrk` (Debian/Ubuntu: apt-get install -y wrk).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, type } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare, type V4ModuleRuleType } from "miniflare";
import type pg from "pg";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { newCertificateCode } from "../src/lib/certificates/code.ts";
import { unusedPort } from "../test/support/node/blackhole.ts";
import { argon2idHash, seedBenchData } from "./lib/bench-seed.ts";
import {
  connectOrExplain,
  enableLocalRuntimeLogin,
  installContextKey,
  runMigrations,
  runtimeUrl,
} from "./lib/db.ts";
import { startNeonHttpServer } from "./lib/neon-http.ts";
import { startLocalPostgres } from "./lib/postgres.ts";
import { seedDemoCatalogue } from "./lib/seed.ts";
import { offlineWranglerEnv } from "./lib/wrangler-env.ts";
import { startWsProxy } from "./lib/ws-proxy.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER_TOML = join(root, "wrangler.toml");
const REFRESH_SCRIPT = join(root, "scripts/bench/refresh-pool.lua");

// ---------------------------------------------------------------------------------------------
// Knobs

class UsageError extends Error {}

type ScenarioKey = "health" | (typeof SCENARIOS)[number];
const SCENARIOS = ["me", "users-first", "users-deep", "refresh", "courses", "verify"] as const;

function numberEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${name} must be an integer of at least ${min} (got "${raw}")`);
  }
  return value;
}

function readKnobs() {
  const rows = numberEnv("BENCH_ROWS", 100_000, 1_000);
  const connections = (process.env.BENCH_CONNECTIONS || "1,8").split(",").map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError(`BENCH_CONNECTIONS must list positive integers (got "${part}")`);
    }
    return n;
  });
  const deep = numberEnv("BENCH_DEEP", Math.floor(rows * 0.9), 1);
  if (deep >= rows) throw new UsageError(`BENCH_DEEP (${deep}) must be below BENCH_ROWS (${rows})`);
  const only = (process.env.BENCH_ONLY || SCENARIOS.join(",")).split(",").map((part) => {
    const key = SCENARIOS.find((name) => name === part.trim());
    if (!key) {
      throw new UsageError(`BENCH_ONLY names unknown scenario "${part}" (${SCENARIOS.join(", ")})`);
    }
    return key;
  });
  const date = new Date().toISOString().slice(0, 10);
  const output = process.env.BENCH_OUTPUT || join(root, "bench", "results", `${date}-api.md`);
  return {
    duration: numberEnv("BENCH_DURATION", 5, 1),
    warmup: numberEnv("BENCH_WARMUP", 1, 0),
    rounds: numberEnv("BENCH_ROUNDS", 2, 1),
    threads: numberEnv("BENCH_THREADS", 1, 1),
    connections: [...new Set(connections)],
    rows,
    deep,
    date,
    scenarios: SCENARIOS.filter((key) => only.includes(key)),
    followApi: process.env.BENCH_FOLLOW_API === "1",
    output: output === "-" ? undefined : resolve(output),
  };
}

/**
 * The bench's rate-limit overrides: limits no benchmark reaches, everything else as in
 * production. `api` and `catalogue` are fast mode, where an isolate syncs with its Durable
 * Object every `syncBatch` requests (default a tenth of the limit): pinned to production's 30
 * (300 / 10) and 60 (600 / 10), so the object sees as many calls per request as it would in
 * production (with only the raised limit, `catalogue` would never call it).
 */
const BENCH_POLICIES = {
  api: { limit: 1_000_000_000, syncBatch: 30 },
  session: { limit: 1_000_000_000 },
  catalogue: { limit: 1_000_000_000, syncBatch: 60 },
  // The verify page's per-address limit (5 a minute) would deny the run from one address.
  strict: { limit: 1_000_000_000 },
};

const PASSWORD = "bench password at dawn 2026";
const STUDENT = "bench-student@bench.example.in";
const ADMIN = "bench-admin@bench.example.in";
const DB_NAME = "coaching";

// ---------------------------------------------------------------------------------------------
// Lifecycle: everything started registers how to stop it; stopped in reverse, once.

const stops: { what: string; stop: () => Promise<unknown> | unknown }[] = [];
let stopping = false;
let currentWrk: ChildProcess | undefined;

function onStop(what: string, stop: () => Promise<unknown> | unknown) {
  stops.push({ what, stop });
}

async function stopAll() {
  if (currentWrk && currentWrk.exitCode === null) currentWrk.kill("SIGKILL");
  for (const { what, stop } of stops.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      Promise.resolve()
        .then(stop)
        .then(
          () => true,
          () => true,
        ),
      new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), 20_000);
      }),
    ]);
    clearTimeout(timer);
    if (!stopped) console.error(`bench:api: gave up waiting for the ${what} to stop`);
  }
}

/**
 * Stops everything, prints the one-line reason, exits. Failures that follow from the stopping
 * itself (a query cut off, workerd gone) arrive while it runs and are ignored.
 */
async function exit(code: number, message?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (message) console.error(`bench:api: ${message}`);
  await stopAll();
  process.exit(code);
}

let firstSignalAt = 0;
function onSignal(code: number, why: string) {
  // A terminal's Ctrl-C reaches this process directly and relayed by npm, so one press can
  // arrive twice: only a press seconds later means "stop waiting" (Postgres' child stops
  // itself when we are gone).
  if (stopping) {
    if (firstSignalAt && Date.now() - firstSignalAt > 2_000) process.exit(code);
    return;
  }
  firstSignalAt = Date.now();
  void exit(code, `${why}; stopped everything it had started`);
}
const signalHandlers = new Map<NodeJS.Signals, () => void>([
  ["SIGINT", () => onSignal(130, "interrupted")],
  ["SIGTERM", () => onSignal(143, "terminated")],
  ["SIGHUP", () => onSignal(129, "terminal closed")],
]);
for (const [signal, handler] of signalHandlers) process.on(signal, handler);

/**
 * Miniflare's exit hook answers these signals with an immediate process.exit(), which would cut
 * the stopping of Postgres and the removal of the temp dirs short. Its handlers go; its "exit"
 * hook stays, so workerd is still killed if this process ends abruptly.
 */
function keepOnlyOurSignalHandlers() {
  for (const [signal, ours] of signalHandlers) {
    for (const listener of process.listeners(signal)) {
      if (listener !== ours) process.removeListener(signal, listener);
    }
  }
}
// Last resort on an abrupt exit: never leave wrk running.
process.on("exit", () => {
  if (currentWrk && currentWrk.exitCode === null) currentWrk.kill("SIGKILL");
});

const log = (line: string) => console.info(`[bench:api] ${line}`);

// ---------------------------------------------------------------------------------------------
// wrk

function requireWrk() {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    throw new UsageError(
      "`wrk` is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`, " +
        "macOS: `brew install wrk`) and run again.",
    );
  }
  return /wrk\s+(\S+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1] ?? "unknown";
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** Refresh runs: tokens handed out, and requests sent after the pool ran dry. */
  issued?: number;
  exhausted?: number;
}

function parseLatencyMs(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
  if (!match?.[1] || !match[2]) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function runWrk(opts: {
  url: string;
  connections: number;
  threads: number;
  seconds: number;
  headers?: Record<string, string>;
  script?: { path: string; args: string[] };
}): Promise<WrkResult> {
  const args = [
    "-t",
    String(Math.min(opts.threads, opts.connections)),
    "-c",
    String(opts.connections),
    "-d",
    `${opts.seconds}s`,
    "--timeout",
    "10s",
    "--latency",
  ];
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    args.push("-H", `${name}: ${value}`);
  }
  if (opts.script) args.push("-s", opts.script.path);
  args.push(opts.url);
  if (opts.script) args.push("--", ...opts.script.args);
  return new Promise((resolvePromise, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    currentWrk = child;
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    // wrk stops itself after `seconds`; this only catches a hung run.
    const guard = setTimeout(() => child.kill("SIGKILL"), (opts.seconds + 30) * 1000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      currentWrk = undefined;
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
      if (code !== 0 || !rps) {
        const why = out.trim().split("\n").slice(-3).join(" / ") || "no output";
        return reject(new Error(`wrk failed (${signal ?? `exit ${code}`}): ${why}`));
      }
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
        out,
      );
      const pool = /POOL issued=(\d+) exhausted=(\d+)/.exec(out);
      resolvePromise({
        rps: Number(rps),
        p50: parseLatencyMs(out, "50%"),
        p99: parseLatencyMs(out, "99%"),
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
        socketErrors: socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
        issued: pool ? Number(pool[1]) : undefined,
        exhausted: pool ? Number(pool[2]) : undefined,
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Build and serve the Worker

function runChild(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: root,
      env: offlineWranglerEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    onStop("build", () => child.exitCode === null && child.kill("SIGKILL"));
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

/** Bundles src/index.ts exactly as `npm run deploy` would (same config, same esbuild settings). */
async function build(outDir: string): Promise<string> {
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  const { code, output } = await runChild(wrangler, [
    "deploy",
    "--dry-run",
    "--config",
    WRANGLER_TOML,
    "--outdir",
    outDir,
  ]);
  const script = join(outDir, "index.js");
  if (code !== 0 || !existsSync(script)) {
    console.error(output);
    throw new Error("building the Worker with wrangler failed (output above)");
  }
  return script;
}

/**
 * Miniflare options for the bundle, from wrangler.toml as wrangler dev reads it: its bindings
 * (Durable Object, KV, version metadata), vars, compatibility settings, and its module rules
 * to type the files wrangler emitted beside the entry (argon2's wasm). Left out: static assets
 * (/docs; an extra router hop in front of every request that no API route needs) and cron
 * triggers (nothing fires them here). Vars come from wrangler.toml only, never a developer's
 * .dev.vars; secrets are the bench's own.
 */
function miniflareOptions(scriptPath: string, stateDir: string, vars: Record<string, string>) {
  const config = unstable_readConfig({ config: WRANGLER_TOML }, { hideWarnings: true });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  const {
    assets: _assets,
    cronTriggers: _crons,
    bindings: _devBindings,
    modulesRules,
    ...rest
  } = workerOptions;
  const fromToml: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.vars ?? {})) {
    fromToml[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  // Miniflare 5 does not follow imports itself: list the entry and every file beside it.
  const bundleDir = dirname(scriptPath);
  const modules: { type: V4ModuleRuleType; path: string }[] = [
    { type: "ESModule", path: scriptPath },
  ];
  for (const file of readdirSync(bundleDir)) {
    const path = join(bundleDir, file);
    if (path === scriptPath || file.endsWith(".map") || file === "README.md") continue;
    const rule = modulesRules?.find((r) =>
      r.include.some((glob) => file.endsWith(glob.replace(/^\*\*\/\*/, ""))),
    );
    if (!rule) throw new Error(`${file} in the bundle matches none of wrangler's module rules`);
    modules.push({ type: rule.type, path });
  }
  return convertV4MiniflareOptions({
    ...rest,
    name: config.name ?? "coaching-api",
    rootPath: root,
    modules,
    modulesRoot: bundleDir,
    bindings: { ...fromToml, ...vars },
    resourcePersistencePath: stateDir,
    host: "127.0.0.1",
    port: 0,
    // The app reads nothing from request.cf; no download of Cloudflare's cf.json.
    cf: false,
    handleStructuredLogs: workerLog,
  });
}

/** The Worker's own log lines: warnings and errors shown (a few), the rest counted. */
const workerLogCounts = new Map<string, number>();
let workerLinesShown = 0;
function workerLog({ level, message }: { level: string; message: string }) {
  workerLogCounts.set(level, (workerLogCounts.get(level) ?? 0) + 1);
  if ((level === "warn" || level === "error") && workerLinesShown < 20) {
    workerLinesShown++;
    console.error(`[worker ${level}] ${message.slice(0, 500)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// API helpers (setup and checks, not measured)

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

async function api(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (res.status !== 200) {
    const detail = text.replace(/\s+/g, " ").slice(0, 200);
    throw new Error(
      `${init.method ?? "GET"} ${path.split("?")[0]} answered ${res.status}: ${detail}`,
    );
  }
  return JSON.parse(text);
}

const login = (base: string, email: string) =>
  api(base, "/v1/auth/login", {
    method: "POST",
    body: { email, password: PASSWORD },
  }) as Promise<TokenPair>;

interface UserPage {
  data: { email: string }[];
  pagination: { nextCursor: string | null };
}

/** Follows the admin user list through the API, 100 rows a page, until `depth` rows are behind. */
async function followCursor(
  base: string,
  token: string,
  depth: number,
  onPage: (seen: number, cursor: string) => void = () => undefined,
): Promise<{ cursor: string; pages: number; seconds: number }> {
  let cursor: string | null = null;
  let seen = 0;
  let pages = 0;
  const started = performance.now();
  const tty = Boolean(process.stderr.isTTY);
  while (seen < depth) {
    const limit = Math.min(100, depth - seen);
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page = (await api(base, `/v1/admin/users?limit=${limit}${query}`, { token })) as UserPage;
    seen += page.data.length;
    pages++;
    cursor = page.pagination.nextCursor;
    if (!cursor) throw new Error(`the user list ended after ${seen} rows, before row ${depth}`);
    onPage(seen, cursor);
    if (tty && pages % 10 === 0) {
      process.stderr.write(`\r[bench:api] following the cursor: ${seen}/${depth} rows\x1b[K`);
    }
  }
  if (tty) process.stderr.write("\r\x1b[K");
  if (!cursor) throw new Error("no cursor");
  return { cursor, pages, seconds: (performance.now() - started) / 1000 };
}

/**
 * The cursor `depth` rows into GET /v1/admin/users (newest first). Following it there through
 * the API takes a request per 100 rows: 900 for the default depth, minutes on the 2-core
 * machine (today every page scans the rest of the table). So by default the API is followed
 * for its first pages, and the deep cursor is then made as the app makes it (src/lib/
 * pagination.ts: the row's sort key, signed with the CURSOR_SECRET the bench gave the Worker),
 * but only once the cursors made for the followed pages are byte-for-byte the API's; otherwise,
 * or with BENCH_FOLLOW_API=1, the API is followed all the way. The caller checks the deep
 * page's rows against SQL either way.
 */
async function deepCursor(opts: {
  base: string;
  token: string;
  depth: number;
  owner: pg.Client;
  cursorSecret: string;
  followAll: boolean;
}): Promise<{ cursor: string; how: string }> {
  const made = async (position: number) => {
    const { rows } = await opts.owner.query<{ c: string; i: string }>(
      `SELECT created_at::text AS c, id::text AS i FROM users
        ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [position - 1],
    );
    const key = rows[0];
    if (!key) throw new Error(`there is no user at position ${position}`);
    const payload = Buffer.from(JSON.stringify([key.c, key.i])).toString("base64url");
    const binding = "v1\nGET /v1/admin/users?[]\ndesc\nusers.created_at,users.id";
    const mac = createHmac("sha256", opts.cursorSecret)
      .update(`${binding}\n${payload}`)
      .digest("base64url");
    return `${payload}.${mac}`;
  };
  if (!opts.followAll) {
    const followed: [number, string][] = [];
    await followCursor(opts.base, opts.token, Math.min(300, opts.depth), (seen, cursor) => {
      followed.push([seen, cursor]);
    });
    let same = true;
    for (const [seen, cursor] of followed) same &&= (await made(seen)) === cursor;
    if (same) {
      return {
        cursor: await made(opts.depth),
        how:
          `followed through the API for ${followed.length} pages, then made the way the app makes ` +
          "it (its signed sort key), after the cursors made for those pages matched the API's byte for byte",
      };
    }
    log("cursors made here differ from the API's (the cursor format changed?): following the API");
  }
  const { cursor, pages, seconds } = await followCursor(opts.base, opts.token, opts.depth);
  return {
    cursor,
    how:
      `followed through the API: ${pages} pages of 100 in ${seconds.toFixed(1)} s ` +
      `(${((seconds * 1000) / pages).toFixed(0)} ms a page)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

const LABELS: Record<ScenarioKey, string> = {
  health: "GET /health",
  me: "GET /v1/me",
  "users-first": "GET /v1/admin/users?limit=50 (first page)",
  "users-deep": "GET /v1/admin/users?limit=50 (deep page)",
  refresh: "POST /v1/auth/refresh",
  courses: "GET /v1/courses (KV cache)",
  verify: "GET /v1/certificates/verify/{code} (KV cache + revocation authority)",
};

interface Run extends WrkResult {
  round: number;
  connections: number;
  scenario: ScenarioKey;
  /** Mean of the /health runs just before and just after (scenario runs only). */
  healthRps?: number;
  healthP50?: number;
  cpu?: CpuPerRequest;
}

interface Row {
  scenario: ScenarioKey;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  /** Throughput relative to /health (median over rounds of each round's ratio). */
  ratio?: number;
  /** p50 minus /health's p50 (median over rounds). */
  p50Delta?: number;
  requests: number;
  errors: number;
  cpu: CpuPerRequest;
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const errorsOf = (r: WrkResult) => r.non2xx + r.socketErrors + (r.exhausted ?? 0);

function aggregate(runs: Run[], scenarios: ScenarioKey[], connections: number[]): Row[] {
  const rows: Row[] = [];
  for (const c of connections) {
    for (const scenario of scenarios) {
      const group = runs.filter((r) => r.scenario === scenario && r.connections === c);
      if (group.length === 0) continue;
      const withHealth = group.filter((r) => r.healthRps !== undefined);
      rows.push({
        scenario,
        connections: c,
        rps: median(group.map((r) => r.rps)),
        p50: median(group.map((r) => r.p50)),
        p99: median(group.map((r) => r.p99)),
        ratio: withHealth.length
          ? median(withHealth.map((r) => r.rps / (r.healthRps ?? Number.NaN)))
          : undefined,
        p50Delta: withHealth.length
          ? median(withHealth.map((r) => r.p50 - (r.healthP50 ?? Number.NaN)))
          : undefined,
        requests: group.reduce((n, r) => n + r.requests, 0),
        errors: group.reduce((n, r) => n + errorsOf(r), 0),
        cpu: {
          workerd: median(group.map((r) => r.cpu?.workerd ?? Number.NaN)),
          postgres: median(group.map((r) => r.cpu?.postgres ?? Number.NaN)),
          proxy: median(group.map((r) => r.cpu?.proxy ?? Number.NaN)),
        },
      });
    }
  }
  return rows;
}

interface Goal {
  text: string;
  value: string;
  met: boolean | undefined;
}

function goals(rows: Row[]): Goal[] {
  const find = (s: ScenarioKey, c: number) =>
    rows.find((r) => r.scenario === s && r.connections === c);
  const out: Goal[] = [];
  const clean = (...rs: (Row | undefined)[]) => rs.every((r) => r && r.errors === 0);
  const me1 = find("me", 1);
  out.push({
    text: "GET /v1/me p50 within 3 ms of /health p50 at 1 connection",
    value: me1?.p50Delta === undefined ? "not measured" : `+${me1.p50Delta.toFixed(2)} ms`,
    met: me1?.p50Delta === undefined ? undefined : clean(me1) && me1.p50Delta <= 3,
  });
  const me8 = find("me", 8);
  out.push({
    text: "GET /v1/me throughput >= 0.3x /health at 8 connections",
    value: me8?.ratio === undefined ? "not measured" : `${me8.ratio.toFixed(2)}x`,
    met: me8?.ratio === undefined ? undefined : clean(me8) && me8.ratio >= 0.3,
  });
  for (const c of [...new Set(rows.map((r) => r.connections))]) {
    const courses = find("courses", c);
    if (courses?.ratio === undefined) continue;
    out.push({
      text: `GET /v1/courses (from the cache) >= 0.7x /health at ${c} connection${c === 1 ? "" : "s"}`,
      value: `${courses.ratio.toFixed(2)}x`,
      met: clean(courses) && courses.ratio >= 0.7,
    });
  }
  for (const c of [...new Set(rows.map((r) => r.connections))]) {
    const verify = find("verify", c);
    if (verify?.ratio === undefined) continue;
    out.push({
      text: `GET /v1/certificates/verify (cached, revocation exact) >= 0.5x /health at ${c} connection${c === 1 ? "" : "s"}`,
      value: `${verify.ratio.toFixed(2)}x`,
      met: clean(verify) && verify.ratio >= 0.5,
    });
  }
  for (const c of [...new Set(rows.map((r) => r.connections))]) {
    const first = find("users-first", c);
    const deep = find("users-deep", c);
    if (!first || !deep) continue;
    const ratio = deep.p50 / first.p50;
    out.push({
      text: `deep keyset page p50 within 1.5x of the first page (${c} conn${c === 1 ? "" : "s"})`,
      // Postgres CPU per request beside it: a deep page that is "fast enough" only because the
      // first page is slow (no index serving the order) shows there.
      value:
        `${ratio.toFixed(2)}x (p50 ${deep.p50.toFixed(2)} vs ${first.p50.toFixed(2)} ms; ` +
        `Postgres CPU ${fmtCpu(deep.cpu.postgres)} vs ${fmtCpu(first.cpu.postgres)} ms a request)`,
      met: clean(first, deep) && ratio <= 1.5,
    });
  }
  return out;
}

const verdict = (g: Goal) => (g.met === undefined ? "not measured" : g.met ? "met" : "NOT MET");

function table(rows: Row[], deep: number): string {
  const label = (s: ScenarioKey) =>
    s === "users-deep"
      ? `${LABELS[s].replace("deep page", `after ${deep.toLocaleString("en-US")} rows`)}`
      : LABELS[s];
  const cells = rows.map((r) => [
    label(r.scenario),
    String(r.connections),
    r.rps.toFixed(0),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`,
    r.p50Delta === undefined ? "" : `${r.p50Delta >= 0 ? "+" : ""}${r.p50Delta.toFixed(2)}`,
    r.errors ? `**${r.errors}** of ${r.requests}` : `0 of ${r.requests}`,
    `${fmtCpu(r.cpu.workerd)} / ${fmtCpu(r.cpu.postgres)} / ${fmtCpu(r.cpu.proxy)}`,
  ]);
  const header = [
    "scenario",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "req/s vs /health",
    "p50 − /health ms",
    "errors",
    "CPU ms/req: workerd / Postgres / proxy",
  ];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...cells.map(line)].join("\n");
}

function rawTable(runs: Run[]): string {
  const lines = [
    "| round | conns | scenario | req/s | p50 ms | p99 ms | /health req/s around it | requests | non-2xx | socket errors | CPU ms/req: workerd / Postgres / proxy |",
    "|--:|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of runs) {
    lines.push(
      `| ${r.round} | ${r.connections} | ${LABELS[r.scenario]} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ` +
        `${r.p99.toFixed(2)} | ${r.healthRps === undefined ? "" : r.healthRps.toFixed(0)} | ${r.requests} | ` +
        `${r.non2xx}${r.exhausted ? ` (+${r.exhausted} after the token pool ran dry)` : ""} | ${r.socketErrors} | ` +
        `${fmtCpu(r.cpu?.workerd)} / ${fmtCpu(r.cpu?.postgres)} / ${fmtCpu(r.cpu?.proxy)} |`,
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// CPU per request, from /proc (Linux; blank elsewhere)

interface CpuPerRequest {
  workerd?: number;
  postgres?: number;
  proxy?: number;
}

interface CpuSample {
  workerd?: number;
  postgres?: number;
  proxy: number;
}

const CLOCK_TICKS = (() => {
  const probe = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(probe.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** user + system CPU seconds of a process, plus its reaped children's when asked. */
function cpuSeconds(pid: number, withChildren: boolean): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After "pid (comm) ": state is field 3; utime, stime, cutime, cstime are fields 14-17.
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15);
    return (utime + stime + (withChildren ? cutime + cstime : 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function childrenNamed(parent: number, name: string): number[] {
  try {
    return readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
          return ppid === parent && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, "postmaster.pid"), "utf8"), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function cpuSample(processes: { workerd: number[]; postmaster?: number }): CpuSample {
  const workerd = processes.workerd.map((pid) => cpuSeconds(pid, true));
  const { user, system } = process.cpuUsage();
  return {
    workerd:
      workerd.length && workerd.every((v) => v !== undefined)
        ? workerd.reduce((a: number, b) => a + (b ?? 0), 0)
        : undefined,
    postgres: postgresCpu(processes.postmaster),
    proxy: (user + system) / 1e6,
  };
}

/**
 * All of Postgres: the postmaster, its reaped children (backends that ended: a Pool request's
 * connection each) and its live ones (the HTTP endpoint's pooled connections, which outlive
 * the run, and the background workers).
 */
function postgresCpu(postmaster: number | undefined): number | undefined {
  if (postmaster === undefined) return undefined;
  const own = cpuSeconds(postmaster, true);
  if (own === undefined) return undefined;
  return childrenNamed(postmaster, "postgres").reduce(
    (sum, pid) => sum + (cpuSeconds(pid, false) ?? 0),
    own,
  );
}

function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): CpuPerRequest {
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || requests === 0 ? undefined : ((b - a) * 1000) / requests;
  return {
    workerd: per(before.workerd, after.workerd),
    postgres: per(before.postgres, after.postgres),
    proxy: per(before.proxy, after.proxy),
  };
}

const fmtCpu = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? "-" : v < 1 ? v.toFixed(2) : v.toFixed(1);

function machine(wrkVersion: string, postgresVersion: string) {
  let cpu = cpus()[0]?.model ?? "unknown CPU";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    /* not Linux */
  }
  const pkg = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8"))
        .version as string;
    } catch {
      return "?";
    }
  };
  return {
    cpu,
    cores: availableParallelism(),
    node: process.version,
    os: `${type()} ${release()}`,
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
    wrk: wrkVersion,
    postgres: postgresVersion,
    wrangler: pkg("wrangler"),
    miniflare: pkg("miniflare"),
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const knobs = readKnobs();
  const wrkVersion = requireWrk();
  const started = performance.now();

  // workerd's Durable Object and KV state on tmpfs when there is one; Postgres on disk (real
  // commits), in a temp dir of its own. Both removed at the end.
  const scratch = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "bench-api-"));
  onStop("scratch", () => rmSync(scratch, { recursive: true, force: true }));
  const pgData = mkdtempSync(join(tmpdir(), "bench-api-pg-"));
  rmSync(pgData, { recursive: true });
  onStop("postgres data", () => rmSync(pgData, { recursive: true, force: true }));

  log("bundling src/index.ts with wrangler (wrangler.toml)…");
  const scriptPath = await build(join(scratch, "bundle"));

  const pgPort = await unusedPort();
  const postgres = await startLocalPostgres({
    dataDir: pgData,
    port: pgPort,
    log: (line) => log(`postgres: ${line}`),
  });
  onStop("postgres", () => postgres.stop());
  // Ctrl-C reaches Postgres too: let our own SIGINT handler speak first.
  postgres.onUnexpectedExit((why) => {
    setTimeout(() => void exit(1, `${why} during the benchmark`), 200);
  });
  const admin = await connectOrExplain(postgres.adminUrl());
  await admin.query(`CREATE DATABASE "${DB_NAME}"`);
  const postgresVersion =
    (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]
      ?.v ?? "?";
  await admin.end();
  const ownerUrl = postgres.adminUrl(DB_NAME);
  await runMigrations(ownerUrl);
  const contextSecret = randomBytes(32).toString("base64url");
  await installContextKey(ownerUrl, contextSecret);
  await enableLocalRuntimeLogin(ownerUrl);
  log(`Postgres ${postgresVersion} on 127.0.0.1:${pgPort}, migrated`);

  const counts = { users: knobs.rows, sessions: knobs.rows, auditRows: knobs.rows };
  const passwordHash = await argon2idHash(PASSWORD);
  const seedStarted = performance.now();
  const owner = await connectOrExplain(ownerUrl);
  const seeded = await seedBenchData(owner, {
    counts,
    passwordHash,
    accounts: [
      { email: STUDENT, role: "student" },
      { email: ADMIN, role: "admin" },
    ],
  })
    .then(async (result) => {
      await seedDemoCatalogue(owner);
      return result;
    })
    .finally(() => owner.end());
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  log(
    `seeded ${counts.users.toLocaleString("en-US")} users (+2 bench accounts), ` +
      `${counts.sessions.toLocaleString("en-US")} sessions with a refresh token each, ` +
      `${counts.auditRows.toLocaleString("en-US")} audit rows in ${seedSeconds.toFixed(1)} s ` +
      `(inserts ${seeded.insertSeconds.toFixed(1)} s, VACUUM ANALYZE ${seeded.vacuumSeconds.toFixed(1)} s)`,
  );
  // The seeded audit rows must pass the app's own integrity check (row hashes by the trigger).
  const checker = await connectOrExplain(ownerUrl);
  try {
    const verified = await checker.query<{ ok: boolean; checked_rows: string }>(
      "SELECT ok, checked_rows FROM audit_verify()",
    );
    const row = verified.rows[0];
    if (!row?.ok) throw new Error("audit_verify() rejects the seeded audit rows");
    log(`audit_verify(): ok over ${Number(row.checked_rows).toLocaleString("en-US")} rows`);
  } finally {
    await checker.end();
  }
  const tokensFile = join(scratch, "refresh-tokens.txt");
  writeFileSync(tokensFile, `${seeded.refreshTokens.join("\n")}\n`);
  const poolSize = seeded.refreshTokens.length;
  let poolOffset = 0;

  const proxy = await startWsProxy(0);
  onStop("websocket proxy", () => proxy.close());
  const neonHttp = await startNeonHttpServer(0);
  onStop("neon http endpoint", () => neonHttp.close());

  const secret = () => randomBytes(32).toString("base64url");
  const vars: Record<string, string> = {
    DATABASE_URL: runtimeUrl(ownerUrl),
    NEON_WS_PROXY: `127.0.0.1:${proxy.port}`,
    // Read by the HTTP query path being built in parallel; today's code ignores it.
    NEON_HTTP_ENDPOINT: `${neonHttp.url}/sql`,
    SENTRY_DSN: "",
    JWT_SECRET: secret(),
    CURSOR_SECRET: secret(),
    EMAIL_PROVIDER: "outbox",
    RESEND_API_KEY: "",
    RATE_LIMIT_IP_SALT: secret(),
    DB_CONTEXT_SECRET: contextSecret,
    AUDIT_ANCHOR_SECRET: secret(),
    AUDIT_HASH_SECRET: secret(),
    INSTAMOJO_PRIVATE_SALT: secret(),
    RATE_LIMIT_POLICIES: JSON.stringify(BENCH_POLICIES),
  };
  const mf = new Miniflare(miniflareOptions(scriptPath, join(scratch, "state"), vars));
  keepOnlyOurSignalHandlers();
  onStop("workerd", () => mf.dispose());
  const url = await mf.ready;
  keepOnlyOurSignalHandlers();
  const processes = {
    workerd: childrenNamed(process.pid, "workerd"),
    postmaster: postmasterPid(pgData),
  };
  const base = `http://127.0.0.1:${url.port}`;
  log(`workerd (Miniflare ${machine(wrkVersion, postgresVersion).miniflare}) on ${base}`);

  // Setup checks through the API: every scenario answers 200 before anything is measured.
  await api(base, "/health");
  let student = await login(base, STUDENT);
  let adminTokens = await login(base, ADMIN);
  const me = (await api(base, "/v1/me", { token: student.accessToken })) as { email: string };
  if (me.email !== STUDENT) throw new Error(`GET /v1/me returned ${me.email}, not ${STUDENT}`);
  await api(base, "/v1/auth/refresh", {
    method: "POST",
    body: { refreshToken: student.refreshToken },
  });
  await api(base, "/v1/auth/refresh", {
    method: "POST",
    body: { refreshToken: seeded.refreshTokens[poolOffset++] },
  });
  const firstPage = (await api(base, "/v1/admin/users?limit=50", {
    token: adminTokens.accessToken,
  })) as UserPage;
  if (firstPage.data.length !== 50) throw new Error("the first page of users is not 50 rows");
  log("logins, /v1/me, refresh (a login's token and a seeded one) and the user list answer 200");
  let deepPath = "";
  let deepHow = "";
  if (knobs.scenarios.includes("users-deep")) {
    const owner = await connectOrExplain(ownerUrl);
    try {
      const deep = await deepCursor({
        base,
        token: adminTokens.accessToken,
        depth: knobs.deep,
        owner,
        cursorSecret: vars.CURSOR_SECRET ?? "",
        followAll: knobs.followApi,
      });
      deepHow = deep.how;
      deepPath = `/v1/admin/users?limit=50&cursor=${encodeURIComponent(deep.cursor)}`;
      const page = (await api(base, deepPath, { token: adminTokens.accessToken })) as UserPage;
      const expected = await owner.query<{ email: string }>(
        "SELECT email FROM users ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 50",
        [knobs.deep],
      );
      const emails = expected.rows.map((r) => r.email).join();
      if (page.data.length !== 50 || page.data.map((u) => u.email).join() !== emails) {
        throw new Error(
          `the deep page is not rows ${knobs.deep + 1}-${knobs.deep + 50} of the list`,
        );
      }
    } finally {
      await owner.end();
    }
    log(
      `deep page (rows ${knobs.deep + 1}-${knobs.deep + 50}, checked against SQL): cursor ${deepHow}`,
    );
  }

  // A certificate to verify: issued straight into the database (the bench student's, in a
  // completed batch), read once through the API before anything is measured.
  let verifyPath = "";
  let certificateId = "";
  if (knobs.scenarios.includes("verify")) {
    const owner = await connectOrExplain(ownerUrl);
    try {
      const code = newCertificateCode();
      const row = await owner.query<{ id: string }>(
        `WITH c AS (
           INSERT INTO courses (slug, title, summary, category, level, language, price_paise, status)
           VALUES ('bench-cert-' || md5(random()::text), 'Bench course', 'Bench', 'bench',
                   'beginner', 'en', 0, 'published') RETURNING id
         ), b AS (
           INSERT INTO batches (course_id, name, start_date, end_date, capacity,
                                enrolment_opens_at, enrolment_closes_at, status)
           SELECT id, 'Bench batch', '2026-01-01', '2026-02-01', 10, now() - interval '1 day',
                  now(), 'completed' FROM c RETURNING id, course_id
         ), e AS (
           INSERT INTO enrolments (user_id, batch_id, status, price_paise, activated_at)
           SELECT u.id, b.id, 'active', 0, now() FROM b, users u WHERE u.email = $2
           RETURNING id, user_id, batch_id
         )
         INSERT INTO certificates (code, enrolment_id, user_id, batch_id, course_id, printed_name,
           course_title, batch_name, start_date, end_date, attendance_pct, issuer_name, source)
         SELECT $1, e.id, e.user_id, e.batch_id, b.course_id, 'Bench Student', 'Bench course',
                'Bench batch', '2026-01-01', '2026-02-01', 90, 'Bench issuer', 'rule'
           FROM e, b RETURNING id`,
        [code, STUDENT],
      );
      certificateId = row.rows[0]?.id ?? "";
      verifyPath = `/v1/certificates/verify/${code}`;
    } finally {
      await owner.end();
    }
    const first = (await api(base, verifyPath)) as { status: string };
    if (first.status !== "valid") throw new Error(`the bench certificate verifies ${first.status}`);
    log("a certificate verifies valid (then every read is a cache hit)");
  }

  const scenarios = knobs.scenarios;
  const perRound = knobs.connections.length * (2 * scenarios.length + 1);
  const totalSeconds = knobs.rounds * perRound * (knobs.duration + knobs.warmup);
  log(
    `measuring: ${knobs.rounds} round(s) × connections ${knobs.connections.join(", ")} × ` +
      `${perRound / knobs.connections.length} runs of ${knobs.duration} s (+${knobs.warmup} s warm-up): ` +
      `about ${Math.ceil(totalSeconds / 60)} min`,
  );

  const runs: Run[] = [];
  async function measure(scenario: ScenarioKey, connections: number, round: number) {
    const once = async (seconds: number) => {
      const common = { connections, threads: knobs.threads, seconds };
      switch (scenario) {
        case "health":
          return runWrk({ ...common, url: `${base}/health` });
        case "courses":
          // Anonymous and cached: after the first read every request is a cache hit.
          return runWrk({ ...common, url: `${base}/v1/courses` });
        case "verify":
          // Public and cached; the revocation authority is asked on every request.
          return runWrk({ ...common, url: `${base}${verifyPath}` });
        case "me":
          return runWrk({
            ...common,
            url: `${base}/v1/me`,
            headers: { Authorization: `Bearer ${student.accessToken}` },
          });
        case "users-first":
        case "users-deep":
          return runWrk({
            ...common,
            url: `${base}${scenario === "users-first" ? "/v1/admin/users?limit=50" : deepPath}`,
            headers: { Authorization: `Bearer ${adminTokens.accessToken}` },
          });
        case "refresh": {
          const result = await runWrk({
            ...common,
            url: `${base}/v1/auth/refresh`,
            script: {
              path: REFRESH_SCRIPT,
              args: [tokensFile, String(poolOffset), String(Math.min(knobs.threads, connections))],
            },
          });
          if (result.issued === undefined)
            throw new Error("the refresh script reported no pool use");
          poolOffset += result.issued;
          return result;
        }
      }
    };
    if (knobs.warmup > 0) await once(knobs.warmup);
    const cpuBefore = cpuSample(processes);
    const result = await once(knobs.duration);
    const cpu = cpuPerRequest(cpuBefore, cpuSample(processes), result.requests);
    const run: Run = { ...result, round, connections, scenario, cpu };
    runs.push(run);
    const errors = errorsOf(result);
    log(
      `round ${round}, ${connections} conn: ${LABELS[scenario].padEnd(42)} ` +
        `${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  ` +
        `p99 ${result.p99.toFixed(2)} ms  CPU ms/req ${fmtCpu(cpu.workerd)}/${fmtCpu(cpu.postgres)}/` +
        `${fmtCpu(cpu.proxy)}${errors ? `  ${errors} ERRORS` : ""}`,
    );
    return run;
  }

  for (let round = 1; round <= knobs.rounds; round++) {
    // Fresh access tokens each round: they live 15 minutes.
    if (round > 1) {
      student = await login(base, STUDENT);
      adminTokens = await login(base, ADMIN);
    }
    for (const connections of knobs.connections) {
      let before = await measure("health", connections, round);
      for (const scenario of scenarios) {
        const run = await measure(scenario, connections, round);
        const after = await measure("health", connections, round);
        run.healthRps = (before.rps + after.rps) / 2;
        run.healthP50 = (before.p50 + after.p50) / 2;
        before = after;
      }
    }
  }

  const rows = aggregate(runs, ["health", ...scenarios], knobs.connections);
  const results = goals(rows);
  if (verifyPath) {
    // Revocation must still be exact after all that caching: the very next read says revoked.
    const admin = await login(base, ADMIN);
    await api(base, `/v1/admin/certificates/${certificateId}/revoke`, {
      method: "POST",
      token: admin.accessToken,
      body: { reasonCategory: "other", note: "bench: revocation is exact" },
    });
    const after = (await api(base, verifyPath)) as { status: string };
    results.push({
      text: "after the runs, the very next verify of a revoked certificate says revoked",
      value: after.status,
      met: after.status === "revoked",
    });
  }
  const info = machine(wrkVersion, postgresVersion);
  const totalErrors = runs.reduce((n, r) => n + errorsOf(r), 0);
  const summary = table(rows, knobs.deep);
  console.info("");
  console.info(summary);
  console.info("");
  for (const g of results) console.info(`${verdict(g).padEnd(12)} ${g.text}: ${g.value}`);
  if (totalErrors)
    console.info(
      `\nTHIS RUN HAD ${totalErrors} ERRORS (non-2xx, socket errors or an empty token pool): see the errors column.`,
    );

  const workerLines = [...workerLogCounts.entries()].map(([l, n]) => `${n} ${l}`).join(", ");
  const n = (v: number) => v.toLocaleString("en-US");
  const bullets = [
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.os}, Node ${info.node}; load average at the start ${info.load} (the machine is shared)`,
    `Worker: src/index.ts bundled by wrangler ${info.wrangler} from wrangler.toml (\`deploy --dry-run\`), served by one workerd through Miniflare ${info.miniflare}'s Node API. Bindings from wrangler.toml: RATE_LIMITER (Durable Object, SQLite), CACHE (KV), CF_VERSION_METADATA and its vars (ENVIRONMENT development, LOG_LEVEL info: one log line per request, passed to this process by Miniflare); static assets and cron triggers left out`,
    `Database: PostgreSQL ${info.postgres}, embedded, fsync on, data on disk. The Worker connects as app_runtime (row-level security on) with the Neon driver on the app's two paths, as in production: reads and self-contained writes over the local SQL-over-HTTP endpoint (NEON_HTTP_ENDPOINT; pooled connections to Postgres, like Neon's), interactive transactions (login, refresh) over the local WebSocket proxy with a new connection (so a new backend) per request`,
    `Data: ${n(counts.users)} users (+2 bench accounts), ${n(counts.sessions)} live sessions with one refresh token each, ${n(counts.auditRows)} audit rows written through the hashing trigger (audit_verify() ok); one argon2id hash for every user; VACUUM ANALYZE after. **Seeding took ${seedSeconds.toFixed(1)} s** (inserts ${seeded.insertSeconds.toFixed(1)} s, VACUUM ANALYZE ${seeded.vacuumSeconds.toFixed(1)} s)`,
    `**Rate limits raised for the benchmark**: RATE_LIMIT_POLICIES=\`${JSON.stringify(BENCH_POLICIES)}\`. \`api\` (per user: /v1/me, /v1/admin/*), \`session\` (per address: /v1/auth/refresh) and \`catalogue\` (per address: /v1/courses) would deny the load; modes, algorithms and the \`api\` and \`catalogue\` sync batches stay as in production. The per-refresh-token \`session-token\` limit is not raised: each token is used once`,
    `wrk ${info.wrk}, ${knobs.threads} thread(s), \`--timeout 10s\`, ${knobs.duration} s per run after ${knobs.warmup} s of warm-up, ${knobs.rounds} round(s), connections ${knobs.connections.join(" and ")}. The table shows medians over rounds; each ratio is to the mean of the \`/health\` runs just before and after`,
    `CPU ms/req (from /proc): workerd; all of Postgres (live and ended processes); this process, which runs the WebSocket proxy and the SQL-over-HTTP endpoint and receives the Worker's log lines. Independent of how busy the neighbours keep the machine`,
    `Tokens: the bench accounts log in through POST /v1/auth/login.${deepHow ? ` The deep page is GET /v1/admin/users?limit=50 with the cursor of row ${n(knobs.deep)} (its 50 rows checked against SQL), ${deepHow}.` : ""} Each refresh request spends a distinct, never-used refresh token of a seeded session (pool of ${n(poolSize)}, ${n(poolOffset)} handed out including warm-ups and checks), so every one rotates a live token`,
    `Worker log lines: ${workerLines || "none"}`,
  ];
  const markdown = `# API benchmark, ${knobs.date}

\`npm run bench:api\` (scripts/bench-api.ts). Ratios to \`/health\` are what to compare: the machine is shared and noisy, so each scenario run sits between two \`/health\` runs of the same connection count and is divided by their mean.${totalErrors ? `\n\n**This run had ${totalErrors} errors** (non-2xx responses, socket errors or requests after the refresh-token pool ran dry): see the errors column and the raw runs.` : ""}

${bullets.map((b) => `- ${b}`).join("\n")}

${summary}

## Goals

${results.map((g) => `- ${verdict(g)}: ${g.text}: ${g.value}`).join("\n")}

## Raw runs

${rawTable(runs)}
`;
  if (knobs.output) {
    mkdirSync(dirname(knobs.output), { recursive: true });
    writeFileSync(knobs.output, markdown);
    log(`results written to ${relative(process.cwd(), knobs.output) || knobs.output}`);
  }
  log(`done in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
  if (totalErrors) {
    await exit(1, `${totalErrors} errors during the measured runs (marked in the table)`);
  }
  await exit(0);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  void exit(1, message.replace(/\s*\n\s*/g, " / "));
});
