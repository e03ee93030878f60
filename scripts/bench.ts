/**
 * `npm run bench`: the rate limiter against a bare route, in one workerd (Miniflare's Node API,
 * not `wrangler dev`, whose proxy dominates the cost), driven by wrk over loopback.
 *
 * Env: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2), BENCH_CONNECTIONS (50),
 * BENCH_THREADS (wrk threads, 1), BENCH_ONLY (comma-separated paths, e.g. /limited/fast/many).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { offlineWranglerEnv } from "./lib/wrangler-env.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
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
  /** Throughput relative to the bare run just before it. */
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
    durable_objects: { bindings: [{ name: "RATE_LIMITER", class_name: "RateLimiter" }] },
    migrations: [{ tag: "v1", new_sqlite_classes: ["RateLimiter"] }],
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
      durableObjects: { RATE_LIMITER: { className: "RateLimiter", useSQLite: true } },
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
    const scenarios: [string, string][] = (
      [
        ["exact, hot key over limit", "/limited/exact/hot-over"],
        ["fast, hot key over limit", "/limited/fast/hot-over"],
        ["exact, hot key under limit", "/limited/exact/hot-under"],
        ["fast, hot key under limit", "/limited/fast/hot-under"],
        ["exact, many keys", "/limited/exact/many"],
        ["fast, many keys", "/limited/fast/many"],
      ] as [string, string][]
    ).filter(([, path]) => !only || only.includes(path));
    // The machine drifts (GC, objects piling up, neighbours): each scenario is compared with
    // the mean of bare runs measured right before and right after it.
    const results: Result[] = [];
    let before = await measure("bare", "/bare");
    results.push(before);
    for (const [scenario, path] of scenarios) {
      const limited = await measure(scenario, path);
      const after = await measure("bare", "/bare");
      results.push({ ...limited, ratio: (2 * limited.rps) / (before.rps + after.rps) }, after);
      before = after;
    }
    printTable(results);

    async function measure(scenario: string, path: string): Promise<Result> {
      if (warmup > 0) await wrk(`${base}${path}`, warmup);
      const result = await wrk(`${base}${path}`, duration);
      console.info(`bench: ${scenario}: ${result.rps.toFixed(0)} req/s`);
      return { scenario, ...result };
    }
  } finally {
    await cleanup();
  }
}

function printTable(results: Result[]) {
  const rows = results.map((r) => [
    r.scenario,
    r.rps.toFixed(0),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
    r.requests ? `${((100 * r.non2xx) / r.requests).toFixed(1)} %` : "-",
  ]);
  const header = ["scenario", "req/s", "p50 ms", "p99 ms", "vs bare", "429s"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  console.info("");
  console.info("Each limited row's ratio is to the mean of the bare rows around it (same run).");
  console.info(line(header));
  console.info(
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
  );
  for (const row of rows) console.info(line(row));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
