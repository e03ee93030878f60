/**
 * `npm run admin:create -- --email ops@example.in [--name "Ops Lead"]`
 *
 * Creates the first super admin (or promotes an existing user) directly in the database: the
 * only way to get one, never an HTTP endpoint. No password ever passes through a shell or its
 * history: the account gets an unusable password and the script prints a one-hour, single-use
 * reset link. An existing account is taken back from whoever signed up with that address
 * first: its sessions are revoked, its token version bumped and its password made unusable,
 * so only the holder of the printed link becomes the super admin. Connects with DATABASE_URL
 * (an owner/admin URL; defaults to the `npm run dev` database) and writes the audit row in the
 * same transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { connectOrExplain } from "./lib/db.ts";

const USAGE =
  'usage: npm run admin:create -- --email ops@example.in [--name "Ops Lead"] [--base-url https://app.example.in]\n' +
  "(note the -- : without it npm keeps the flags for itself)";
let values: { email?: string; name?: string; "base-url"?: string };
try {
  ({ values } = parseArgs({
    options: {
      email: { type: "string" },
      name: { type: "string" },
      "base-url": { type: "string" },
    },
  }));
} catch {
  console.error(USAGE);
  process.exit(2);
}
const email = values.email?.trim().toLowerCase();
if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
  console.error(USAGE);
  process.exit(2);
}
const url =
  process.env.DATABASE_URL ??
  `postgres://postgres:postgres@127.0.0.1:${process.env.PG_PORT ?? 54329}/coaching`;
const apiUrl = process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const baseUrl = values["base-url"] ?? process.env.APP_BASE_URL ?? apiUrl;
// Matches src/lib/tokens.ts: 256-bit base64url token, stored as hex SHA-256.
const token = randomBytes(32).toString("base64url");
const tokenHash = createHash("sha256").update(token).digest("hex");

const client = await connectOrExplain(url).catch((err: Error) => {
  console.error(`admin:create: ${err.message}`);
  if (!process.env.DATABASE_URL) {
    console.error(
      "admin:create uses the database of `npm run dev`: start it first (in another terminal), " +
        "or set DATABASE_URL to an owner URL.",
    );
  }
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
    // Whoever registered this address may not be the operator running this command: they get
    // nothing. Every session ends, access tokens die (token version), the password stops
    // working, and only the link printed below can set a new one.
    await client.query(
      `UPDATE users SET role = 'super_admin', status = 'active',
              password_hash = '!unusable: set through the reset link',
              token_version = token_version + 1
        WHERE id = $1`,
      [userId],
    );
    await client.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = 'admin_create'
        WHERE user_id = $1 AND revoked_at IS NULL`,
      [userId],
    );
    // Links the earlier holder may have asked for stop working too.
    await client.query(
      "UPDATE one_time_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
      [userId],
    );
    await client.query(
      `INSERT INTO audit_logs (actor_role, action, entity_type, entity_id, before, after)
       VALUES ('cli', 'user.promote_super_admin', 'user', $1, $2, $3)`,
      [
        userId,
        JSON.stringify({ role: existing.rows[0].role }),
        JSON.stringify({ role: "super_admin", sessionsRevoked: true, passwordReset: true }),
      ],
    );
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
  }
  await client.query(
    `INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at)
     VALUES ($1, 'password_reset', $2, now() + interval '1 hour')`,
    [userId, tokenHash],
  );
  await client.query("COMMIT");
  console.log(
    created
      ? `created super admin ${email} (${userId})`
      : `${email} (${userId}) is now a super admin; its sessions were ended and its password reset`,
  );
  console.log("set its password within an hour (single use):");
  console.log(`  ${new URL(`/reset-password?token=${token}`, baseUrl).toString()}`);
  console.log(
    `  or: curl -s -X POST ${new URL("/v1/auth/password/reset", apiUrl).toString()} ` +
      `-H 'content-type: application/json' -d '{"token":"${token}","password":"<new password>"}'`,
  );
} catch (err) {
  await client.query("ROLLBACK").catch(() => undefined);
  console.error(`admin:create failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
