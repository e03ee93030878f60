/**
 * `npm run bench:audit`: audit-log insert throughput under concurrent writers, our design (a
 * per-row hash set by trigger, sealed later into checkpoints) against a classic hash chain whose
 * every insert must read and update one "chain head" row. Real Postgres (embedded, or
 * DATABASE_URL as an admin URL), real transactions as the Worker's role, side by side.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { unusedPort } from "../test/support/node/blackhole.ts";
import {
  enableLocalRuntimeLogin,
  installContextKey,
  recreateDatabase,
  runMigrations,
  runtimeUrl,
} from "./lib/db.ts";
import { type LocalPostgres, startLocalPostgres } from "./lib/postgres.ts";

// A refusal or a connection error is a message, not a stack trace; the exit code stays 1.
process.on("uncaughtException", (err) => {
  console.error(`bench:audit: ${err.message}`);
  process.exit(1);
});

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WRITERS = [1, 8, 32];

let local: LocalPostgres | undefined;
let dataDir: string | undefined;
let admin = process.env.DATABASE_URL;
if (!admin) {
  dataDir = mkdtempSync(join(tmpdir(), "bench-audit-"));
  rmSync(dataDir, { recursive: true });
  local = await startLocalPostgres({ dataDir, port: await unusedPort() });
  admin = local.adminUrl();
}
const dbUrl = (name: string) => {
  const u = new URL(admin as string);
  u.pathname = `/${name}`;
  return u.toString();
};
await recreateDatabase(dbUrl("postgres"), "bench_audit");
await runMigrations(dbUrl("bench_audit"));
await enableLocalRuntimeLogin(dbUrl("postgres"));
// Writers enter the system context the way the Worker does: a signed app_enter() (0011).
const CONTEXT_SECRET = randomBytes(32).toString("hex");
await installContextKey(dbUrl("bench_audit"), CONTEXT_SECRET);
const enterSystem = (c: pg.Client) => {
  const issuedAt = Date.now();
  const signature = createHmac("sha256", CONTEXT_SECRET)
    .update(`enter|v1||system|${issuedAt}`)
    .digest("hex");
  return c.query("SELECT app_enter(NULL, 'system', $1, $2)", [issuedAt, signature]);
};
// The naive design, for comparison: one row holds the chain head every insert must advance.
const setup = new pg.Client(dbUrl("bench_audit"));
await setup.connect();
await setup.query(`CREATE TABLE chain_head (id int PRIMARY KEY, hash text NOT NULL);
  INSERT INTO chain_head VALUES (1, 'genesis');
  GRANT SELECT, UPDATE ON chain_head TO app_runtime;`);
await setup.end();

const INSERT = `INSERT INTO audit_logs (actor_role, action, entity_type, entity_id, after, request_id)
  VALUES ('admin', 'user.disable', 'user', $1, '{"status":"disabled"}', $2)`;

async function run(design: "row-hash + checkpoints" | "hash chain (hot row)", writers: number) {
  const clients = await Promise.all(
    Array.from({ length: writers }, async () => {
      const c = new pg.Client(runtimeUrl(dbUrl("postgres"), "bench_audit"));
      await c.connect();
      return c;
    }),
  );
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const latencies: number[] = [];
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        await c.query("BEGIN");
        await enterSystem(c);
        if (design === "hash chain (hot row)") {
          const head = await c.query<{ hash: string }>(
            "SELECT hash FROM chain_head WHERE id = 1 FOR UPDATE",
          );
          await c.query(
            "UPDATE chain_head SET hash = encode(sha256(convert_to($1 || $2, 'UTF8')), 'hex') WHERE id = 1",
            [head.rows[0]?.hash ?? "", String(done)],
          );
        }
        await c.query(INSERT, [crypto.randomUUID(), `req_${done}`]);
        await c.query("COMMIT");
        latencies.push(performance.now() - t0);
        done++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { design, writers, perSecond: done / SECONDS, p50: pct(0.5), p99: pct(0.99) };
}

const rows = [];
for (const writers of WRITERS) {
  for (const design of ["row-hash + checkpoints", "hash chain (hot row)"] as const) {
    rows.push(await run(design, writers));
  }
}
console.log(
  `\naudit insert throughput (${SECONDS} s per row, one transaction per insert, as app_runtime)\n`,
);
console.log("| design | writers | inserts/s | p50 ms | p99 ms | vs row-hash |");
console.log("|:--|--:|--:|--:|--:|--:|");
for (const r of rows) {
  const base = rows.find((x) => x.writers === r.writers && x.design === "row-hash + checkpoints");
  console.log(
    `| ${r.design} | ${r.writers} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.perSecond / (base?.perSecond ?? 1)).toFixed(2)}× |`,
  );
}
const sealer = new pg.Client(dbUrl("bench_audit"));
await sealer.connect();
const t0 = performance.now();
const sealed = await sealer.query("SELECT row_count FROM audit_seal(interval '0 seconds')");
const sealMs = performance.now() - t0;
const verifyT0 = performance.now();
const verified = await sealer.query("SELECT ok, checked_rows FROM audit_verify()");
console.log(
  `\nsealing ${sealed.rows[0]?.row_count ?? 0} rows: ${sealMs.toFixed(0)} ms; verify: ${(performance.now() - verifyT0).toFixed(0)} ms, ok=${verified.rows[0]?.ok}`,
);
await sealer.end();
if (local) await local.stop();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });
