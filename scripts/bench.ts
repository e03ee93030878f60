/**
 * `npm run bench`: the rate limiter against a bare route and against a reference row, the
 * minimal exact limiter a Durable Object allows (scripts/bench/reference-limiter.ts, behind a
 * minimal route and behind our middleware), in one workerd (Miniflare's Node API, not `wrangler dev`, whose proxy dominates
 * the cost), driven by wrk over loopback.
 *
 * Every scenario runs once per round between two bare runs; its ratio is to the mean of those
 * two. Before the first round every identity of a many-keys scenario is requested once, so the
 * rounds measure keys in use, not the creation of their objects (the opt-in `fresh` scenarios
 * measure that). The table shows medians over the rounds, followed by exact mode against the
 * reference in the same rounds; both are also written as Markdown to bench/results/.
 *
 * Env (all optional):
 *   BENCH_SECONDS      seconds per run (BENCH_DURATION is the older name); default 5
 *   BENCH_WARMUP       seconds of load before each run, not measured; default 2
 *   BENCH_ROUNDS       rounds (odd rounds run the scenarios in reverse order); default 3
 *   BENCH_CONNECTIONS  wrk connections; default 50
 *   BENCH_THREADS      wrk threads; default 1 (a second one takes CPU from workerd on 2 cores)
 *   BENCH_ONLY         comma-separated paths to run instead of the default set, e.g.
 *                      /limited/exact/many,/reference/many; it can also name the opt-in
 *                      scenarios (a new key per request)
 *   BENCH_OUT          Markdown file; default bench/results/<date>-limiter.md; `-` writes none
 *   BENCH_NOTE         a line for the Markdown file, e.g. what was changed
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { offlineWranglerEnv } from "./lib/wrangler-env.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const duration = Number(process.env.BENCH_SECONDS ?? process.env.BENCH_DURATION ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
// One wrk thread: on a 2-core machine a second one takes CPU from workerd.
const threads = Number(process.env.BENCH_THREADS ?? 1);
const COMPATIBILITY_DATE = "2026-11-01"; // keep in step with wrangler.toml

interface Result {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  requests: number;
  /** Throughput relative to the mean of the bare runs just before and after it. */
  ratio?: number;
}

function requireWrk() {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    console.error(
      "bench: `wrk` is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`, " +
        "macOS: `brew install wrk`) and run again.",
    );
    process.exit(1);
  }
}

/** Bundles the bench Worker with the project's own wrangler (same esbuild settings as deploy). */
function build(outDir: string): string {
  const config = {
    name: "coaching-api-bench",
    main: join(root, "scripts/bench/worker.ts"),
    compatibility_date: COMPATIBILITY_DATE,
    compatibility_flags: ["nodejs_compat"],
    durable_objects: {
      bindings: [
        { name: "RATE_LIMITER", class_name: "RateLimiter" },
        { name: "REF_LIMITER", class_name: "FixedWindowLimiter" },
      ],
    },
    migrations: [{ tag: "v1", new_sqlite_classes: ["RateLimiter", "FixedWindowLimiter"] }],
    kv_namespaces: [{ binding: "CACHE", id: "bench-cache" }],
  };
  const configPath = join(outDir, "wrangler.json");
  writeFileSync(configPath, JSON.stringify(config));
  const bundleDir = join(outDir, "bundle");
  const wrangler = spawnSync(
    "npx",
    ["wrangler", "deploy", "--dry-run", "--config", configPath, "--outdir", bundleDir],
    {
      cwd: root,
      encoding: "utf8",
      env: offlineWranglerEnv(),
    },
  );
  const script = join(bundleDir, "worker.js");
  if (wrangler.status !== 0 || !existsSync(script)) {
    console.error(wrangler.stdout, wrangler.stderr);
    throw new Error("bench: building the bench worker failed");
  }
  return script;
}

function parseLatencyMs(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
  if (!match?.[1] || !match[2]) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function wrk(url: string, seconds: number): Promise<Omit<Result, "scenario">> {
  return new Promise((resolvePromise, reject) => {
    const args = ["-t", String(threads), "-c", String(connections), "-d", `${seconds}s`];
    const child = spawn("wrk", [...args, "--latency", url], { stdio: ["ignore", "pipe", "pipe"] });
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
      if (code !== 0 || !rps) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
      resolvePromise({
        rps: Number(rps),
        p50: parseLatencyMs(out, "50%"),
        p99: parseLatencyMs(out, "99%"),
        non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

async function main() {
  requireWrk();
  // tmpfs when available, so storage writes measure the limiter, not the disk.
  const scratchRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const scratch = mkdtempSync(join(scratchRoot, "coaching-api-bench-"));
  let mf: Miniflare | undefined;
  const cleanup = async () => {
    await mf?.dispose().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    void cleanup().then(() => process.exit(130));
  });

  try {
    console.info("bench: building the bench worker…");
    const scriptPath = build(scratch);
    // Miniflare 5 takes per-worker `config` objects; the converter keeps the familiar shape.
    const options = convertV4MiniflareOptions({
      modules: true,
      scriptPath,
      modulesRoot: dirname(scriptPath),
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: {
        RATE_LIMITER: { className: "RateLimiter", useSQLite: true },
        REF_LIMITER: { className: "FixedWindowLimiter", useSQLite: true },
      },
      kvNamespaces: ["CACHE"],
      resourcePersistencePath: join(scratch, "state"),
      host: "127.0.0.1",
      port: 0,
    });
    mf = new Miniflare(options);
    const url = await mf.ready;
    const base = `http://127.0.0.1:${url.port}`;
    const check = await fetch(`${base}/limited/exact/hot-over`);
    if (check.status !== 200) throw new Error(`bench worker answered ${check.status}`);
    console.info(
      `bench: workerd on ${base}; ${connections} connections, ${duration} s per scenario ` +
        `(+${warmup} s warm-up)`,
    );

    const only = process.env.BENCH_ONLY?.split(",");
    const scenarios = SCENARIOS.filter(([, path, optIn]) => (only ? only.includes(path) : !optIn));
    for (const [scenario, path] of scenarios) {
      if (path.endsWith("/many")) await prime(scenario, `${base}${path}`);
    }
    // The machine drifts (GC, objects piling up, neighbours): each scenario is compared with
    // the mean of the bare runs right before and right after it, and every round repeats the
    // whole sequence (in reverse on odd rounds, so no scenario always follows the same one).
    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
      let before = await measure("bare", "/bare", round);
      runs.push(before);
      for (const [scenario, path] of order) {
        const limited = await measure(scenario, path, round);
        const after = await measure("bare", "/bare", round);
        runs.push({ ...limited, ratio: (2 * limited.rps) / (before.rps + after.rps) }, after);
        before = after;
      }
    }
    const rows = summarise(scenarios, runs);
    const table = markdownTable(rows);
    const versus = comparisons(runs);
    console.info("");
    console.info(
      `Medians of ${rounds} round(s); each ratio is to the mean of the bare runs around it (same run).`,
    );
    console.info(table);
    console.info("");
    console.info(versus);
    writeReport(table, versus);

    async function measure(scenario: string, path: string, round: number): Promise<Run> {
      if (warmup > 0) await wrk(`${base}${path}`, warmup);
      const result = await wrk(`${base}${path}`, duration);
      console.info(`bench: round ${round + 1}: ${scenario}: ${result.rps.toFixed(0)} req/s`);
      return { scenario, round, ...result };
    }
  } finally {
    await cleanup();
  }
}

/** Requests each identity of a many-keys scenario once (50 at a time), so all objects exist. */
async function prime(scenario: string, url: string) {
  let next = 0;
  const worker = async () => {
    while (next < KEYS) {
      const response = await fetch(`${url}?key=${next++}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`bench: priming ${url} got ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, KEYS) }, worker));
  console.info(`bench: primed ${KEYS} identities: ${scenario}`);
}

/** Identities of the many-keys scenarios (scripts/bench/worker.ts picks among this many). */
const KEYS = 1_000;

/** [label, path, opt-in]: opt-in scenarios run only when BENCH_ONLY names them. */
const SCENARIOS: [string, string, boolean?][] = [
  ["reference, minimal route, many keys", "/reference/many"],
  ["reference, our middleware, many keys", "/reference/middleware/many"],
  ["exact, many keys", "/limited/exact/many"],
  ["fast, many keys", "/limited/fast/many"],
  ["reference, minimal route, hot key", "/reference/hot-under"],
  ["reference, our middleware, hot key", "/reference/middleware/hot-under"],
  ["exact, hot key under limit", "/limited/exact/hot-under"],
  ["fast, hot key under limit", "/limited/fast/hot-under"],
  ["exact, hot key over limit", "/limited/exact/hot-over"],
  ["fast, hot key over limit", "/limited/fast/hot-over"],
  ["reference, new key per request", "/reference/fresh", true],
  ["exact, new key per request", "/limited/exact/fresh", true],
  ["fast, new key per request", "/limited/fast/fresh", true],
];

/**
 * Exact mode against the reference: [what, exact scenario, reference scenario]. Behind our
 * middleware the two objects are the only difference (same headers, same body); behind the
 * minimal route the reference also skips what our middleware adds (two more headers, the
 * timeout, policies).
 */
const VERSUS: [string, string, string][] = [
  [
    "many keys, reference object behind our middleware",
    "exact, many keys",
    "reference, our middleware, many keys",
  ],
  [
    "many keys, reference behind the minimal route",
    "exact, many keys",
    "reference, minimal route, many keys",
  ],
  [
    "hot key, reference object behind our middleware",
    "exact, hot key under limit",
    "reference, our middleware, hot key",
  ],
  [
    "hot key, reference behind the minimal route",
    "exact, hot key under limit",
    "reference, minimal route, hot key",
  ],
];

/**
 * Exact mode's ratio to bare divided by the reference's, round by round (both measured in the
 * same round, each against the bare runs around it): above 1× exact mode is ahead.
 */
function comparisons(runs: Run[]): string {
  const lines = ["| exact mode vs reference | median | per round |", "|:--|--:|--:|"];
  for (const [what, exact, reference] of VERSUS) {
    const perRound: number[] = [];
    for (const run of runs) {
      if (run.scenario !== exact || run.ratio === undefined) continue;
      const ref = runs.find((r) => r.scenario === reference && r.round === run.round);
      if (ref?.ratio) perRound.push(run.ratio / ref.ratio);
    }
    if (perRound.length === 0) continue;
    const cells = perRound.map((x) => x.toFixed(2)).join(" / ");
    lines.push(`| ${what} | ${median(perRound).toFixed(2)}× | ${cells} |`);
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

interface Run extends Result {
  round: number;
}

interface Row {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  /** Median ratio to bare, and each round's. */
  ratio?: number;
  ratios: number[];
  deniedShare: number;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function summarise(scenarios: [string, string, boolean?][], runs: Run[]): Row[] {
  const row = (scenario: string): Row => {
    const of = runs.filter((r) => r.scenario === scenario);
    const ratios = of.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
    const requests = of.reduce((sum, r) => sum + r.requests, 0);
    const denied = of.reduce((sum, r) => sum + r.non2xx, 0);
    return {
      scenario,
      rps: median(of.map((r) => r.rps)),
      p50: median(of.map((r) => r.p50)),
      p99: median(of.map((r) => r.p99)),
      ...(ratios.length ? { ratio: median(ratios) } : {}),
      ratios,
      deniedShare: requests ? denied / requests : Number.NaN,
    };
  };
  return [row("bare"), ...scenarios.map(([scenario]) => row(scenario))];
}

function markdownTable(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.scenario,
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
    r.ratios.map((x) => x.toFixed(2)).join(" / "),
    Number.isNaN(r.deniedShare) ? "-" : `${(100 * r.deniedShare).toFixed(1)} %`,
  ]);
  const header = ["scenario", "req/s", "p50 ms", "p99 ms", "vs bare", "per round", "429s"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
}

/** The tables as Markdown, with the date and the machine, under bench/results/. */
function writeReport(table: string, versus: string) {
  const target = process.env.BENCH_OUT;
  if (target === "-") return;
  const now = new Date();
  const date = now.toISOString().slice(0, 10);
  const path = target ? resolve(target) : join(root, "bench/results", `${date}-limiter.md`);
  const note = process.env.BENCH_NOTE;
  const lines = [
    `# Rate limiter benchmark, ${date}`,
    "",
    `- When: ${now.toISOString()}`,
    `- Machine: ${machine()}`,
    `- Load: wrk ${wrkVersion()}, ${threads} thread(s), ${connections} connections over loopback, ` +
      `${duration} s per run after ${warmup} s of warm-up, ${rounds} round(s); one workerd ` +
      "(Miniflare API), storage on tmpfs when available.",
    "- Ratios: each limited run divided by the mean of the bare runs right before and after it " +
      "in the same workerd; the table shows medians over the rounds, the per-round ratios after them. " +
      "Absolute req/s are for this machine and moment only.",
    "- Many keys: 1,000 identities picked at random per request (limit 100/min, never reached), " +
      "each requested once before the first round. Hot key under limit: one identity, limit " +
      "10⁹/min. Over limit: 1/h. `exact` and `fast` run the `api` policy (GCRA) through our " +
      "middleware. Reference: scripts/bench/reference-limiter.ts (fixed window, synchronous " +
      "`ctx.storage.kv`, one object per key, no cleanup), once behind a minimal route that sets " +
      "three `X-RateLimit-*` headers and once behind our middleware in place of our client and " +
      "object (same response as `exact`). Every route takes its identity from the same stand-in " +
      "for authentication.",
    ...(note ? [`- Note: ${note}`] : []),
    "",
    table,
    "",
    ...(versus ? [versus, ""] : []),
  ];
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join("\n"));
  console.info(`bench: wrote ${path}`);
}

function machine(): string {
  let model = cpus()[0]?.model ?? "unknown CPU";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
  } catch {
    // not Linux: os.cpus() it is
  }
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout?.trim() || String(cpus().length);
  return `nproc ${nproc}, ${model}, ${process.platform} ${process.arch}, Node ${process.version}`;
}

function wrkVersion(): string {
  const out = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return /wrk (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? "?";
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
