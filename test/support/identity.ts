/**
 * Identity factories: users, sessions and access tokens minted straight into this file's
 * database (fast, no HTTP round trips), verified by the app exactly like real ones.
 */
import { signAccessToken } from "../../src/lib/jwt";
import { hashPassword } from "../../src/lib/password";
import { adminQuery } from "./database";
import type { TestBindings } from "./env";

export type Role = "student" | "admin" | "super_admin";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
  sessionId: string;
  accessToken: string;
  /** `{ Authorization: "Bearer …" }` */
  auth: { Authorization: string };
}

let cachedHash: Promise<string> | undefined;
export const DEFAULT_PASSWORD = "a quiet lake at dawn 42";
// One hash for every factory user with the default password: argon2id is deliberately slow.
const defaultHash = () => {
  cachedHash ??= hashPassword(DEFAULT_PASSWORD);
  return cachedHash;
};

export async function createUser(
  env: TestBindings,
  database: string,
  opts: {
    role?: Role;
    status?: "active" | "disabled";
    email?: string;
    fullName?: string;
    verified?: boolean;
  } = {},
): Promise<TestUser> {
  const role = opts.role ?? "student";
  const email = opts.email ?? `${role}-${crypto.randomUUID().slice(0, 8)}@example.in`;
  const [user] = await adminQuery<{ id: string; token_version: number }>(
    `INSERT INTO users (email, password_hash, full_name, role, status, email_verified_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END) RETURNING id, token_version`,
    [
      email,
      await defaultHash(),
      opts.fullName ?? "Test User",
      role,
      opts.status ?? "active",
      opts.verified ?? true,
    ],
    database,
  );
  if (!user) throw new Error("user insert failed");
  const [session] = await adminQuery<{ id: string }>(
    "INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id",
    [user.id],
    database,
  );
  if (!session) throw new Error("session insert failed");
  const accessToken = await mintAccessToken(env, {
    sub: user.id,
    role,
    sid: session.id,
    ver: user.token_version,
  });
  return {
    id: user.id,
    email,
    password: DEFAULT_PASSWORD,
    role,
    sessionId: session.id,
    accessToken,
    auth: { Authorization: `Bearer ${accessToken}` },
  };
}

export function mintAccessToken(
  env: TestBindings,
  claims: { sub: string; role: Role; sid: string; ver: number },
  opts: {
    ttlSeconds?: number;
    now?: () => number;
    secret?: string;
    audience?: string;
    issuer?: string;
  } = {},
) {
  return signAccessToken(claims, {
    secret: opts.secret ?? env.JWT_SECRET,
    issuer: opts.issuer ?? env.JWT_ISSUER ?? "coaching-api",
    audience: opts.audience ?? env.JWT_AUDIENCE ?? "coaching-app",
    ttlSeconds: opts.ttlSeconds ?? 900,
    now: opts.now,
  });
}
