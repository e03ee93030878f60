/**
 * Access tokens: short-lived HS256 JWTs. `jose` rather than `hono/jwt`: it pins the accepted
 * algorithms, checks `typ`, `iss`, `aud`, required claims and a maximum age in one call, takes
 * an injected clock, and reports failures as typed errors we can map without parsing messages.
 *
 * The header carries `typ: "at+jwt"` (RFC 9068) and verification requires it, so no other JWT
 * signed with the same secret (an ID token, a future purpose) can pass as an access token.
 * Refresh tokens are opaque (see tokens.ts) and can never parse as one.
 */

import { errors, jwtVerify, SignJWT } from "jose";

export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ACCESS_TOKEN_ALGORITHM = "HS256";
/** The ceiling on access-token lifetime. */
export const ACCESS_TOKEN_MAX_TTL_SECONDS = 900;
/** HS256 needs a key at least as long as its output to keep its 256-bit strength. */
export const MIN_SECRET_BYTES = 32;
// A header and claims this small never approach it; anything larger is not ours.
const MAX_TOKEN_LENGTH = 4096;

export const ACCESS_ROLES = ["student", "admin", "super_admin"] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

export interface AccessTokenInput {
  /** User id. */
  sub: string;
  role: AccessRole;
  /** Session id: lets the server reject tokens of a revoked session on the next request. */
  sid: string;
  /** The user's token version, bumped by logout-all, password change and disable. */
  ver: number;
}

export interface AccessTokenClaims extends AccessTokenInput {
  iss: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface AccessTokenKeyOptions {
  secret: string;
  issuer: string;
  audience: string;
  /** Milliseconds since the epoch; injectable so tests can move the clock. */
  now?: () => number;
}

export interface SignAccessTokenOptions extends AccessTokenKeyOptions {
  ttlSeconds: number;
}

export type AccessTokenFailure =
  | "malformed"
  | "wrong_algorithm"
  | "bad_signature"
  | "wrong_type"
  | "wrong_issuer"
  | "wrong_audience"
  | "expired"
  | "not_yet_valid"
  | "missing_claim"
  | "invalid_claim";

export type VerifyAccessTokenResult =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: AccessTokenFailure };

const encoder = new TextEncoder();

export async function signAccessToken(
  input: AccessTokenInput,
  opts: SignAccessTokenOptions,
): Promise<string> {
  const { ttlSeconds } = opts;
  if (
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > ACCESS_TOKEN_MAX_TTL_SECONDS
  ) {
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${ACCESS_TOKEN_MAX_TTL_SECONDS}`);
  }
  if (!isValidInput(input)) throw new TypeError("invalid access token claims");
  const iat = Math.floor((opts.now?.() ?? Date.now()) / 1000);
  return new SignJWT({ role: input.role, sid: input.sid, ver: input.ver })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE })
    .setSubject(input.sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(secretKey(opts.secret));
}

/** Skew allowed on `exp`, `iat` and `nbf` when verifying. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Never throws for a bad token; a bad secret (configuration) does throw. */
export async function verifyAccessToken(
  token: string,
  opts: AccessTokenKeyOptions,
): Promise<VerifyAccessTokenResult> {
  const key = secretKey(opts.secret);
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: "malformed" };
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      typ: ACCESS_TOKEN_TYPE,
      issuer: opts.issuer,
      audience: opts.audience,
      requiredClaims: ["sub", "jti", "iat", "exp", "role", "sid", "ver"],
      // A token minted with a longer lifetime (a bug, a leaked key's forgery) still dies at 15 min.
      maxTokenAge: ACCESS_TOKEN_MAX_TTL_SECONDS,
      // Edge locations' clocks differ a little: a token is not refused for seconds of skew.
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(opts.now?.() ?? Date.now()),
    }));
  } catch (err) {
    return { ok: false, reason: failureOf(err) };
  }
  if (!isAccessTokenClaims(payload)) return { ok: false, reason: "invalid_claim" };
  const { sub, role, sid, ver, iss, aud, jti, iat, exp } = payload;
  return { ok: true, claims: { sub, role, sid, ver, iss, aud, jti, iat, exp } };
}

function secretKey(secret: string): Uint8Array {
  const key = encoder.encode(secret);
  if (key.byteLength < MIN_SECRET_BYTES) {
    throw new RangeError(`the access-token secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  return key;
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= 256;
}

function isValidInput(v: {
  sub: unknown;
  role: unknown;
  sid: unknown;
  ver: unknown;
}): v is AccessTokenInput {
  return (
    isNonEmptyString(v.sub) &&
    isNonEmptyString(v.sid) &&
    typeof v.role === "string" &&
    (ACCESS_ROLES as readonly string[]).includes(v.role) &&
    typeof v.ver === "number" &&
    Number.isSafeInteger(v.ver) &&
    v.ver >= 0
  );
}

function isAccessTokenClaims(p: Record<string, unknown>): p is AccessTokenClaims & typeof p {
  return (
    isValidInput({ sub: p.sub, role: p.role, sid: p.sid, ver: p.ver }) &&
    typeof p.iss === "string" &&
    typeof p.aud === "string" &&
    isNonEmptyString(p.jti) &&
    typeof p.iat === "number" &&
    typeof p.exp === "number" &&
    p.exp - p.iat <= ACCESS_TOKEN_MAX_TTL_SECONDS
  );
}

function failureOf(err: unknown): AccessTokenFailure {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JOSEAlgNotAllowed) return "wrong_algorithm";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return "missing_claim";
    switch (err.claim) {
      case "typ":
        return "wrong_type";
      case "iss":
        return "wrong_issuer";
      case "aud":
        return "wrong_audience";
      case "nbf":
      case "iat":
        return "not_yet_valid";
      default:
        return "invalid_claim";
    }
  }
  return "malformed";
}
