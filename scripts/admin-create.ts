/**
 * `npm run admin:create -- --email ops@example.in [--name "Ops Lead"]`
 *
 * Creates the first super admin (or promotes an existing user) directly in the database: the
 * only way to get one, never an HTTP endpoint. A new account gets no password; the script
 * prints a one-hour, single-use password-reset link instead, so no password ever passes
 * through a shell or its history. Connects with DATABASE_URL (an owner/admin URL; defaults to
 * the `npm run dev` database) and writes the audit row in the same transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { connectOrExplain } from "./lib/db.ts";

const { values } = parseArgs({
  options: {
    email: { type: "string" },
    name: { type: "string" },
    "base-url": { type: "string" },
  },
});
const email = values.email?.trim().toLowerCase();
if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
  console.error(
    'usage: npm run admin:create -- --email ops@example.in [--name "Ops Lead"] [--base-url https://app.example.in]',
  );
  process.exit(2);
}
const url = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:54329/coaching";
const baseUrl = values["base-url"] ?? process.env.APP_BASE_URL ?? "http://127.0.0.1:8787";
// Matches src/lib/tokens.ts: 256-bit base64url token, stored as hex SHA-256.
const token = randomBytes(32).toString("base64url");
const tokenHash = createHash("sha256").update(token).digest("hex");

const client = await connectOrExplain(url).catch((err: Error) => {
  console.error(`admin:create: ${err.message}`);
  process.exit(1);
});
try {
  await client.query("BEGIN");
  await client.query("SELECT set_config('app.role', 'system', true)");
  const existing = await client.query<{ id: string; role: string }>(
    "SELECT id, role FROM users WHERE email = $1 FOR UPDATE",
    [email],
  );
  let userId: string;
  let created = false;
  if (existing.rows[0]) {
    userId = existing.rows[0].id;
    if (existing.rows[0].role !== "super_admin") {
      await client.query("UPDATE users SET role = 'super_admin' WHERE id = $1", [userId]);
      await client.query(
        `INSERT INTO audit_logs (actor_role, action, entity_type, entity_id, before, after)
         VALUES ('cli', 'user.role_change', 'user', $1, $2, '{"role":"super_admin"}')`,
        [userId, JSON.stringify({ role: existing.rows[0].role })],
      );
    }
  } else {
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       VALUES ($1, '!unusable: set through the reset link', $2, 'super_admin', now()) RETURNING id`,
      [email, values.name?.trim() || "Super Admin"],
    );
    userId = inserted.rows[0]?.id ?? "";
    created = true;
    await client.query(
      `INSERT INTO audit_logs (actor_role, action, entity_type, entity_id, after)
       VALUES ('cli', 'user.create_super_admin', 'user', $1, $2)`,
      [userId, JSON.stringify({ email, role: "super_admin" })],
    );
    await client.query(
      `INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at)
       VALUES ($1, 'password_reset', $2, now() + interval '1 hour')`,
      [userId, tokenHash],
    );
  }
  await client.query("COMMIT");
  if (created) {
    console.log(`created super admin ${email} (${userId})`);
    console.log("set its password within an hour (single use):");
    console.log(`  ${new URL(`/reset-password?token=${token}`, baseUrl).toString()}`);
    console.log(`  or: POST /v1/auth/password/reset {"token":"${token}","password":"…"}`);
  } else {
    console.log(`${email} (${userId}) is a super admin`);
  }
} catch (err) {
  await client.query("ROLLBACK").catch(() => undefined);
  console.error(`admin:create failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
