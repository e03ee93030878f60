/**
 * The certificate signing key (CERT_SIGNING_KEY, a private Ed25519 JWK) and the public keys
 * published at /.well-known/jwks.json: the current one plus CERT_PREVIOUS_KEYS, so credentials
 * signed before a rotation keep verifying. Each JSON string is parsed once per isolate.
 * Public JWKs are rebuilt field by field: a private part (`d`) can never leak into the JWKS.
 */
import { importJWK, type JWK } from "jose";
import type { AppConfig } from "../../env";

export interface CertPublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

export interface CertSigningKey {
  key: CryptoKey;
  kid: string;
  publicJwk: CertPublicJwk;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Public halves (`x`) of the keys committed to this repository (.dev.vars.example, vitest
 * bindings): anyone can sign with them, so staging and production refuse them.
 */
export const COMMITTED_KEY_XS: readonly string[] = [
  "aQlOvud9oIaJGl6pnhD2stvy0uLiAVlCX-3DgpYX_Co",
  "T-nlfAUB94qMXwnt86c4y_oWvj10z9vOqKMoft4v82o",
];

// 32 bytes in unpadded base64url.
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const KID = /^[A-Za-z0-9._:-]{1,100}$/;

function checkOkp(value: unknown, kind: "private" | "public"): Parsed<JWK & CertPublicJwk> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, problem: "must be a JWK object" };
  }
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") {
    return { ok: false, problem: "must be an Ed25519 key (kty OKP, crv Ed25519)" };
  }
  if (jwk.alg !== undefined && jwk.alg !== "EdDSA" && jwk.alg !== "Ed25519") {
    return { ok: false, problem: "alg, when present, must be EdDSA" };
  }
  if (typeof jwk.x !== "string" || !B64URL_32.test(jwk.x)) {
    return { ok: false, problem: "x must be a 32-byte base64url public key" };
  }
  if (typeof jwk.kid !== "string" || !KID.test(jwk.kid)) {
    return { ok: false, problem: "kid is required (1-100 of A-Z a-z 0-9 . _ : -)" };
  }
  if (kind === "private" && (typeof jwk.d !== "string" || !B64URL_32.test(jwk.d))) {
    return { ok: false, problem: "d (the private key) is required: this must be a private JWK" };
  }
  if (kind === "public" && "d" in jwk) {
    return { ok: false, problem: "must hold public keys only (remove d)" };
  }
  return { ok: true, value: jwk as unknown as JWK & CertPublicJwk };
}

const toPublic = (jwk: { x: string; kid: string }): CertPublicJwk => ({
  kty: "OKP",
  crv: "Ed25519",
  x: jwk.x,
  kid: jwk.kid,
  alg: "EdDSA",
  use: "sig",
});

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, problem: "is not valid JSON" };
  }
}

const signingCache = new Map<string, Parsed<{ jwk: JWK; publicJwk: CertPublicJwk }>>();

/** CERT_SIGNING_KEY's text → its private JWK and public half, or the problem (never the value). */
export function parseSigningKeyJson(text: string): Parsed<{ jwk: JWK; publicJwk: CertPublicJwk }> {
  const cached = signingCache.get(text);
  if (cached) return cached;
  const json = parseJson(text);
  let result: Parsed<{ jwk: JWK; publicJwk: CertPublicJwk }>;
  if (!json.ok) result = json;
  else {
    const checked = checkOkp(json.value, "private");
    result = checked.ok
      ? { ok: true, value: { jwk: checked.value, publicJwk: toPublic(checked.value) } }
      : checked;
  }
  signingCache.set(text, result);
  return result;
}

const previousCache = new Map<string, Parsed<CertPublicJwk[]>>();

/** CERT_PREVIOUS_KEYS' text (a JSON array of public JWKs) → the keys, or the problem. */
export function parsePreviousKeysJson(text: string): Parsed<CertPublicJwk[]> {
  const cached = previousCache.get(text);
  if (cached) return cached;
  const json = parseJson(text);
  let result: Parsed<CertPublicJwk[]>;
  if (!json.ok) result = json;
  else if (!Array.isArray(json.value)) result = { ok: false, problem: "must be a JSON array" };
  else {
    const keys: CertPublicJwk[] = [];
    result = { ok: true, value: keys };
    for (const [i, item] of json.value.entries()) {
      const checked = checkOkp(item, "public");
      if (!checked.ok) {
        result = { ok: false, problem: `[${i}] ${checked.problem}` };
        break;
      }
      const clash = keys.find((k) => k.kid === checked.value.kid && k.x !== checked.value.x);
      if (clash) {
        result = { ok: false, problem: `[${i}] kid ${clash.kid} names two different keys` };
        break;
      }
      keys.push(toPublic(checked.value));
    }
  }
  previousCache.set(text, result);
  return result;
}

/** Cross-checks for loadConfig: problems as `NAME: message`, never a key's value. */
export function certificateKeyProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  const deployed = config.ENVIRONMENT === "staging" || config.ENVIRONMENT === "production";
  let current: CertPublicJwk | undefined;
  if (config.CERT_SIGNING_KEY) {
    const parsed = parseSigningKeyJson(config.CERT_SIGNING_KEY);
    if (!parsed.ok) problems.push(`CERT_SIGNING_KEY: ${parsed.problem}`);
    else {
      current = parsed.value.publicJwk;
      if (deployed && COMMITTED_KEY_XS.includes(current.x)) {
        problems.push(
          "CERT_SIGNING_KEY: the committed development key must not sign outside development",
        );
      }
    }
  } else if (deployed) {
    problems.push(
      "CERT_SIGNING_KEY: required outside development and tests (npm run certs:keygen)",
    );
  }
  if (config.CERT_PREVIOUS_KEYS) {
    const parsed = parsePreviousKeysJson(config.CERT_PREVIOUS_KEYS);
    if (!parsed.ok) problems.push(`CERT_PREVIOUS_KEYS: ${parsed.problem}`);
    else if (current) {
      const { kid, x } = current;
      if (parsed.value.some((k) => k.kid === kid && k.x !== x)) {
        problems.push(`CERT_PREVIOUS_KEYS: kid ${kid} is the current key's kid with another key`);
      }
    }
  }
  if (deployed && !config.CERT_SUBJECT_SALT) {
    problems.push("CERT_SUBJECT_SALT: required outside development and tests");
  }
  if (deployed && !config.PUBLIC_VERIFY_BASE_URL.startsWith("https://")) {
    problems.push("PUBLIC_VERIFY_BASE_URL: must be https");
  }
  return problems;
}

const imported = new Map<string, Promise<CertSigningKey>>();

async function importSigningKey(text: string): Promise<CertSigningKey> {
  const parsed = parseSigningKeyJson(text);
  if (!parsed.ok) throw new Error(`CERT_SIGNING_KEY ${parsed.problem}`);
  const { jwk, publicJwk } = parsed.value;
  const key = await importJWK({ ...jwk, alg: "EdDSA" }, "EdDSA");
  const pub = await importJWK({ ...publicJwk }, "EdDSA");
  if (!(key instanceof CryptoKey) || !(pub instanceof CryptoKey)) {
    throw new Error("CERT_SIGNING_KEY did not import as a CryptoKey");
  }
  // A JWK whose x does not belong to its d would sign credentials that never verify.
  const probe = new TextEncoder().encode("cert-key-probe");
  const signature = await crypto.subtle.sign("Ed25519", key, probe);
  if (!(await crypto.subtle.verify("Ed25519", pub, signature, probe))) {
    throw new Error("CERT_SIGNING_KEY: x is not the public key of d");
  }
  return { key, kid: publicJwk.kid, publicJwk };
}

/** The current signing key, imported once per isolate. Throws when none is configured. */
export function signingKey(config: AppConfig): Promise<CertSigningKey> {
  const text = config.CERT_SIGNING_KEY;
  if (!text) {
    return Promise.reject(
      new Error("CERT_SIGNING_KEY is not set: `npm run certs:keygen` makes one"),
    );
  }
  let pending = imported.get(text);
  if (!pending) {
    pending = importSigningKey(text);
    // A failed import is retried next time rather than cached.
    pending.catch(() => imported.delete(text));
    imported.set(text, pending);
  }
  return pending;
}

/** What /.well-known/jwks.json serves: the current key first, then previous ones, by kid. */
export function publicJwks(config: AppConfig): { keys: CertPublicJwk[] } {
  const keys: CertPublicJwk[] = [];
  if (config.CERT_SIGNING_KEY) {
    const current = parseSigningKeyJson(config.CERT_SIGNING_KEY);
    if (current.ok) keys.push(current.value.publicJwk);
  }
  if (config.CERT_PREVIOUS_KEYS) {
    const previous = parsePreviousKeysJson(config.CERT_PREVIOUS_KEYS);
    if (previous.ok) {
      for (const key of previous.value) {
        if (!keys.some((k) => k.kid === key.kid)) keys.push(key);
      }
    }
  }
  return { keys: keys.map(toPublic) };
}

/**
 * The salt printed in a credential's IdentityObject: HMAC(CERT_SUBJECT_SALT, credential id).
 * Per credential, so one published salt does not let anyone test emails against every
 * certificate at once; stable, so re-issuing the same credential gives the same hash.
 */
export async function subjectSaltFor(config: AppConfig, credentialId: string): Promise<string> {
  const secret = config.CERT_SUBJECT_SALT;
  if (!secret) throw new Error("CERT_SUBJECT_SALT is not set");
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(credentialId));
  return [...new Uint8Array(mac).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
