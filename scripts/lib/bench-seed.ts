/**
 * Set-based seeding for `npm run bench:api`: users, sessions (each with one live refresh token)
 * and audit rows, inserted as the database owner with generate_series in chunks (a progress bar
 * moves per chunk). The rows are what the app itself writes: one argon2id hash for every user
 * (the app's current parameters, so a login never re-hashes), refresh tokens stored as the
 * SHA-256 hex of a 256-bit base64url token (src/lib/tokens.ts), and audit rows through the
 * table's own trigger (ids from its sequence, row_hash computed by the database).
 */
import { randomBytes } from "node:crypto";
import { Argon2Type, Argon2Version } from "@phi-ag/argon2";
import initializeArgon2 from "@phi-ag/argon2/node";
import type pg from "pg";

/** What the app stores (src/lib/password.ts, ARGON2ID_PARAMS). Checked by logging in. */
export async function argon2idHash(password: string): Promise<string> {
  const argon2 = await initializeArgon2();
  const { encoded } = argon2.hash(password, {
    salt: new Uint8Array(randomBytes(16)),
    hashLength: 32,
    timeCost: 2,
    memoryCost: 19_456,
    parallelism: 1,
    type: Argon2Type.Argon2id,
    version: Argon2Version.Version13,
  });
  return encoded;
}

export interface SeedCounts {
  users: number;
  sessions: number;
  auditRows: number;
}

export interface BenchAccount {
  email: string;
  role: "student" | "admin";
}

export interface SeedResult {
  /** The plaintext refresh token of every seeded session, in session order (never used yet). */
  refreshTokens: string[];
  insertSeconds: number;
  vacuumSeconds: number;
}

const CHUNK = 10_000;
/** Deterministic ids, so sessions and tokens reference users and sessions without a join. */
const userId = (n: string) => `md5('bench-user-' || (${n}))::uuid`;
const sessionId = (n: string) => `md5('bench-session-' || (${n}))::uuid`;

export async function seedBenchData(
  client: pg.Client,
  opts: { counts: SeedCounts; passwordHash: string; accounts: BenchAccount[] },
): Promise<SeedResult> {
  const { counts, passwordHash } = opts;
  const bar = new ProgressBar("seeding", [
    ["users", counts.users],
    ["sessions", counts.sessions],
    ["audit", counts.auditRows],
  ]);
  const started = performance.now();

  for (const account of opts.accounts) {
    await client.query(
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       VALUES ($1, $2, $3, $4, now())`,
      [account.email, passwordHash, `Bench ${account.role}`, account.role],
    );
  }

  // Users: newest first by number (user 1 signed up a few minutes ago, user N two years back),
  // one in 500 an admin, half with a phone, most verified and recently active.
  for (let from = 1; from <= counts.users; from += CHUNK) {
    const to = Math.min(counts.users, from + CHUNK - 1);
    await client.query(
      `INSERT INTO users (id, email, email_verified_at, password_hash, full_name, phone, role,
                          status, last_active_at, created_at, updated_at)
       SELECT ${userId("g")}, 'user' || g || '@bench.example.in',
              CASE WHEN g % 10 <> 0 THEN now() - g * interval '10 minutes' + interval '5 minutes' END,
              $1, 'Bench User ' || g,
              CASE WHEN g % 2 = 0 THEN '+9198' || lpad(g::text, 8, '0') END,
              CASE WHEN g % 500 = 0 THEN 'admin' ELSE 'student' END,
              'active',
              now() - (g % 720) * interval '1 hour',
              now() - g * interval '10 minutes', now() - g * interval '10 minutes'
         FROM generate_series($2::int, $3::int) g`,
      [passwordHash, from, to],
    );
    bar.advance("users", to - from + 1);
  }

  // Sessions: one live session per user (wrapping if there are more sessions than users), each
  // with its current refresh token. The plaintext tokens exist only in this connection's temp
  // table, to be handed to wrk; the database keeps their hashes, as the app does.
  await client.query(
    "CREATE TEMP TABLE bench_refresh_pool (n int PRIMARY KEY, token text NOT NULL)",
  );
  for (let from = 1; from <= counts.sessions; from += CHUNK) {
    const to = Math.min(counts.sessions, from + CHUNK - 1);
    const owner = (n: string) => `1 + (${n} - 1) % ${counts.users}`;
    await client.query(
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip)
       SELECT ${sessionId("g")}, ${userId(owner("g"))},
              now() - interval '1 day' - (g % 1440) * interval '1 minute',
              now() - (g % 3600) * interval '1 second',
              now() + interval '29 days',
              'Mozilla/5.0 (Linux; Android 14) bench/' || (g % 7),
              '10.' || (g % 250) || '.' || (g / 250 % 250) || '.' || (1 + g % 200)
         FROM generate_series($1::int, $2::int) g`,
      [from, to],
    );
    await client.query(
      `WITH minted AS (
         INSERT INTO bench_refresh_pool (n, token)
         SELECT g, rtrim(translate(encode(gen_random_bytes(32), 'base64'), '+/', '-_'), '=')
           FROM generate_series($1::int, $2::int) g
         RETURNING n, token)
       INSERT INTO refresh_tokens (session_id, user_id, token_hash, created_at, expires_at)
       SELECT ${sessionId("n")}, ${userId(owner("n"))},
              encode(sha256(convert_to(token, 'UTF8')), 'hex'),
              now() - (n % 840) * interval '1 second', now() + interval '29 days'
         FROM minted`,
      [from, to],
    );
    bar.advance("sessions", to - from + 1);
  }

  // Audit rows, oldest first (ids follow time, as the sealing job expects), through the
  // table's trigger: it assigns the id and the row hash. The owner may set occurred_at.
  const actions = `(ARRAY['auth.login', 'auth.logout', 'user.update_profile', 'auth.password_change'])`;
  for (let from = 1; from <= counts.auditRows; from += CHUNK) {
    const to = Math.min(counts.auditRows, from + CHUNK - 1);
    await client.query(
      `INSERT INTO audit_logs (occurred_at, actor_id, actor_role, action, entity_type, entity_id,
                               after, request_id, ip, user_agent)
       SELECT now() - ($3::int - g) * interval '30 seconds' - interval '1 hour',
              ${userId(`1 + (g * 7919) % ${counts.users}`)}, 'student',
              ${actions}[1 + g % 4],
              CASE WHEN g % 4 = 1 THEN 'session' ELSE 'user' END,
              CASE WHEN g % 4 = 1 THEN ${sessionId(`1 + g % ${counts.sessions}`)}::text
                   ELSE ${userId(`1 + (g * 7919) % ${counts.users}`)}::text END,
              CASE WHEN g % 4 = 2 THEN '{"fullName":"Bench User"}'::jsonb END,
              'req_bench_' || g, '10.0.' || (g % 250) || '.1', 'Mozilla/5.0 bench'
         FROM generate_series($1::int, $2::int) g
        ORDER BY g`,
      [from, to, counts.auditRows],
    );
    bar.advance("audit", to - from + 1);
  }
  const inserted = performance.now();
  bar.finish();

  // A database in service has statistics and a visibility map; fresh bulk inserts have neither.
  await client.query("VACUUM (ANALYZE) users, sessions, refresh_tokens, audit_logs");
  const vacuumed = performance.now();

  const pool = await client.query<{ token: string }>(
    "SELECT token FROM bench_refresh_pool ORDER BY n",
  );
  await client.query("DROP TABLE bench_refresh_pool");
  return {
    refreshTokens: pool.rows.map((r) => r.token),
    insertSeconds: (inserted - started) / 1000,
    vacuumSeconds: (vacuumed - inserted) / 1000,
  };
}

/** One line, redrawn in place on a terminal; a line per finished part otherwise (CI logs). */
class ProgressBar {
  private readonly done = new Map<string, number>();
  private readonly total: number;
  private readonly started = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly parts: [string, number][],
  ) {
    this.total = parts.reduce((n, [, count]) => n + count, 0);
    for (const [name] of parts) this.done.set(name, 0);
    this.draw();
  }

  advance(part: string, rows: number) {
    const before = this.done.get(part) ?? 0;
    const after = before + rows;
    this.done.set(part, after);
    const target = this.parts.find(([name]) => name === part)?.[1] ?? 0;
    if (this.tty) this.draw();
    else if (before < target && after >= target) process.stderr.write(`${this.line()}\n`);
  }

  finish() {
    if (this.tty) process.stderr.write(`\r${this.line()}\n`);
  }

  private draw() {
    if (this.tty) process.stderr.write(`\r${this.line()}\x1b[K`);
  }

  private line(): string {
    const rows = [...this.done.values()].reduce((a, b) => a + b, 0);
    const share = this.total ? rows / this.total : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const parts = this.parts
      .map(([name, count]) => `${name} ${fmt(this.done.get(name) ?? 0)}/${fmt(count)}`)
      .join(" · ");
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    return (
      `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
      `${Math.floor(share * 100)
        .toString()
        .padStart(3)}%  ${parts}  ${seconds} s`
    );
  }
}

const fmt = (n: number) => n.toLocaleString("en-US");
