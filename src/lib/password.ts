/**
 * Password hashing, verification and policy.
 *
 * Hash: argon2id at OWASP's minimum (m=19 MiB, t=2, p=1) through the @phi-ag/argon2 wasm build,
 * imported as a compiled module (Workers refuse to compile wasm from bytes). Measured in workerd
 * on this project's machines: ≈ 30 ms CPU per hash, against ≈ 15 ms for PBKDF2-SHA256 at the
 * production cap of 100,000 iterations (a sixth of OWASP's 600,000) and ≈ 250 ms for a pure-JS
 * argon2id. The memory-hard hash costs little more CPU, so it wins; PBKDF2 stays available as
 * a fallback algorithm, capped at 100,000 iterations (production Workers refuse more).
 *
 * Input: the password is NFC-normalised (the same text typed on different systems may arrive
 * in composed or decomposed form) and otherwise used exactly as given: no trimming, no case
 * folding, no truncation. Length is counted in code points after NFC.
 *
 * Stored formats (PHC strings, base64 without padding), so parameters can be raised later:
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
 *   $pbkdf2-sha256$i=100000$<salt>$<hash>
 */

import Argon2Wasm from "@phi-ag/argon2/argon2.wasm";
import { COMMON_PASSWORDS_TEXT } from "./common-passwords";
import { bytesEqual, fromBase64, toBase64 } from "./tokens";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordAlgorithm = "argon2id" | "pbkdf2-sha256";

/** The algorithm new hashes use; hashes made with anything else report `needsRehash`. */
export const PASSWORD_ALGORITHM: PasswordAlgorithm = "argon2id";

/** OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_PARAMS = { m: 19_456, t: 2, p: 1, saltBytes: 16, hashBytes: 32 } as const;

/** Production Workers throw on PBKDF2 above this; local workerd does not, so tests guard it. */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PBKDF2_ITERATIONS = 100_000;
const PBKDF2_SALT_BYTES = 16;
const PBKDF2_HASH_BYTES = 32;

// Bounds on parameters read back from storage: a corrupted or planted row must not make a
// login allocate hundreds of MiB or spin for seconds.
const ARGON2_MAX_M = 65_536;
const ARGON2_MAX_T = 10;
const ARGON2_MAX_P = 4;
const PBKDF2_MIN_ITERATIONS = 1_000;
// A verify with a longer input cannot match a hash made under the policy; refuse it cheaply.
const VERIFY_MAX_LENGTH = 1_024;

const encoder = new TextEncoder();

export interface VerifyResult {
  ok: boolean;
  /** The stored hash uses an older algorithm or weaker parameters: re-hash on successful login. */
  needsRehash: boolean;
}

/** Hashes a password for storage. Run `validatePasswordPolicy` first; this only checks length. */
export async function hashPassword(
  password: string,
  opts: { algorithm?: PasswordAlgorithm } = {},
): Promise<string> {
  const normalized = normalizePassword(password);
  const length = codePointLength(normalized);
  if (length < 1 || length > PASSWORD_MAX_LENGTH) {
    throw new RangeError(`password length must be 1 to ${PASSWORD_MAX_LENGTH} characters`);
  }
  const bytes = encoder.encode(normalized);
  const algorithm = opts.algorithm ?? PASSWORD_ALGORITHM;
  if (algorithm === "argon2id") {
    const { m, t, p, saltBytes, hashBytes } = ARGON2ID_PARAMS;
    const salt = crypto.getRandomValues(new Uint8Array(saltBytes));
    const hash = argon2idRaw(bytes, salt, { m, t, p, hashBytes });
    return `$argon2id$v=19$m=${m},t=${t},p=${p}$${toBase64(salt)}$${toBase64(hash)}`;
  }
  const salt = crypto.getRandomValues(new Uint8Array(PBKDF2_SALT_BYTES));
  const hash = await pbkdf2Sha256(bytes, salt, PBKDF2_ITERATIONS, PBKDF2_HASH_BYTES);
  return `$pbkdf2-sha256$i=${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

/**
 * Checks a password against a stored hash. Never throws: a malformed or unsupported stored
 * value is `{ ok: false }`. `needsRehash` describes the stored parameters whatever `ok` is.
 */
export async function verifyPassword(password: string, stored: string): Promise<VerifyResult> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return { ok: false, needsRehash: true };
  const needsRehash = isBelowCurrent(parsed);
  if (typeof password !== "string" || password.length > VERIFY_MAX_LENGTH * 2) {
    return { ok: false, needsRehash };
  }
  const normalized = normalizePassword(password);
  if (codePointLength(normalized) > VERIFY_MAX_LENGTH) return { ok: false, needsRehash };
  const bytes = encoder.encode(normalized);
  try {
    const actual =
      parsed.algorithm === "argon2id"
        ? argon2idRaw(bytes, parsed.salt, { ...parsed, hashBytes: parsed.hash.byteLength })
        : await pbkdf2Sha256(bytes, parsed.salt, parsed.i, parsed.hash.byteLength);
    return { ok: bytesEqual(actual, parsed.hash), needsRehash };
  } catch {
    return { ok: false, needsRehash };
  }
}

/**
 * Current parameters with a random salt and output that no password maps to. Login verifies
 * against it when the account does not exist, so unknown and known accounts take the same time.
 * A test keeps its parameters equal to the current ones.
 */
export const DUMMY_PASSWORD_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$b/sxKQfc6o4yxTJeo2Tyqg$ID5YvCiidEBc/xMuYDJsuF1rGnrkqylmPiST9UtFoqU";

/** Spends one verification's worth of time and always fails. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_PASSWORD_HASH);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Policy (NIST SP 800-63B: length and a blocklist, no composition rules)

export type PasswordPolicyViolation = "too_short" | "too_long" | "common" | "matches_identity";

export type PasswordPolicyResult =
  | { ok: true }
  | { ok: false; reason: PasswordPolicyViolation; message: string };

export interface PasswordPolicyContext {
  email?: string | null;
  name?: string | null;
}

export function validatePasswordPolicy(
  password: string,
  context: PasswordPolicyContext = {},
): PasswordPolicyResult {
  const normalized = normalizePassword(password);
  const length = codePointLength(normalized);
  if (length < PASSWORD_MIN_LENGTH) {
    return fail("too_short", `Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return fail("too_long", `Use at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
  const folded = normalized.toLowerCase();
  if (commonPasswords().has(folded)) {
    return fail("common", "This password is too common. Choose a less predictable one.");
  }
  if (identityForms(context).has(folded)) {
    return fail("matches_identity", "The password must not be your email address or name.");
  }
  return { ok: true };
}

function fail(reason: PasswordPolicyViolation, message: string): PasswordPolicyResult {
  return { ok: false, reason, message };
}

function identityForms({ email, name }: PasswordPolicyContext): Set<string> {
  const forms = new Set<string>();
  const add = (value: string) => {
    const v = value.normalize("NFC").trim().toLowerCase();
    if (v) forms.add(v);
  };
  if (email) {
    add(email);
    add(email.split("@")[0] ?? "");
  }
  if (name) {
    add(name);
    add(name.replace(/\s+/gu, ""));
  }
  return forms;
}

let commonSet: Set<string> | undefined;
function commonPasswords(): Set<string> {
  commonSet ??= new Set(COMMON_PASSWORDS_TEXT.split("\n"));
  return commonSet;
}

// ---------------------------------------------------------------------------------------------
// Stored format

type ParsedHash =
  | {
      algorithm: "argon2id";
      v: number;
      m: number;
      t: number;
      p: number;
      salt: Uint8Array;
      hash: Uint8Array;
    }
  | { algorithm: "pbkdf2-sha256"; i: number; salt: Uint8Array; hash: Uint8Array };

const ARGON2ID_RE =
  /^\$argon2id\$v=(\d{1,3})\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([^$]+)\$([^$]+)$/;
const PBKDF2_RE = /^\$pbkdf2-sha256\$i=(\d{1,9})\$([^$]+)\$([^$]+)$/;

function parseStoredHash(stored: unknown): ParsedHash | null {
  if (typeof stored !== "string" || stored.length > 512) return null;
  const a = ARGON2ID_RE.exec(stored);
  if (a) {
    const [v, m, t, p] = [a[1], a[2], a[3], a[4]].map(Number);
    const salt = fromBase64(a[5] ?? "");
    const hash = fromBase64(a[6] ?? "");
    if (v === undefined || m === undefined || t === undefined || p === undefined) return null;
    if (!salt || !hash || salt.byteLength < 8 || hash.byteLength < 16 || hash.byteLength > 64) {
      return null;
    }
    if (v !== 19 || t < 1 || t > ARGON2_MAX_T || p < 1 || p > ARGON2_MAX_P) return null;
    if (m < 8 * p || m > ARGON2_MAX_M) return null;
    return { algorithm: "argon2id", v, m, t, p, salt, hash };
  }
  const k = PBKDF2_RE.exec(stored);
  if (k) {
    const i = Number(k[1]);
    const salt = fromBase64(k[2] ?? "");
    const hash = fromBase64(k[3] ?? "");
    if (!salt || !hash || salt.byteLength < 8 || hash.byteLength < 16 || hash.byteLength > 64) {
      return null;
    }
    // Above the cap production would throw at login: treat such a value as unusable.
    if (i < PBKDF2_MIN_ITERATIONS || i > PBKDF2_MAX_ITERATIONS) return null;
    return { algorithm: "pbkdf2-sha256", i, salt, hash };
  }
  return null;
}

function isBelowCurrent(h: ParsedHash): boolean {
  if (h.algorithm !== PASSWORD_ALGORITHM) return true;
  if (h.algorithm === "pbkdf2-sha256") {
    return h.i < PBKDF2_ITERATIONS || h.hash.byteLength < PBKDF2_HASH_BYTES;
  }
  const cur = ARGON2ID_PARAMS;
  return (
    h.m < cur.m ||
    h.t < cur.t ||
    h.p !== cur.p ||
    h.salt.byteLength < cur.saltBytes ||
    h.hash.byteLength < cur.hashBytes
  );
}

function normalizePassword(password: string): string {
  return password.normalize("NFC");
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Primitives

async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  hashBytes: number,
): Promise<Uint8Array> {
  if (iterations > PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS} fail in production`);
  }
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    hashBytes * 8,
  );
  return new Uint8Array(bits);
}

/** The C exports of the argon2 reference implementation built by @phi-ag/argon2. */
interface Argon2Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdLen: number,
    salt: number,
    saltLen: number,
    hash: number,
    hashLen: number,
    encoded: number,
    encodedLen: number,
    type: number,
    version: number,
  ): number;
}

const ARGON2_TYPE_ID = 2;
const ARGON2_VERSION_13 = 0x13;

// One instance per isolate: its linear memory grows to ~19 MiB once and is reused. Hashing is
// synchronous, so concurrent requests in the isolate never interleave inside it.
let argon2: Argon2Exports | undefined;

function argon2Exports(): Argon2Exports {
  if (argon2) return argon2;
  const instance = new WebAssembly.Instance(Argon2Wasm, {});
  const exports = instance.exports as unknown as Argon2Exports;
  exports._initialize();
  argon2 = exports;
  return exports;
}

/**
 * Raw argon2id over the exact password bytes. The package's own `hash()` passes the string's
 * UTF-16 length as the byte length, which would silently truncate non-ASCII passwords.
 */
function argon2idRaw(
  password: Uint8Array,
  salt: Uint8Array,
  params: { m: number; t: number; p: number; hashBytes: number },
): Uint8Array {
  const wasm = argon2Exports();
  // malloc(0) may return 0; an empty password is never hashed, but keep the size positive.
  const pwd = wasm.malloc(Math.max(1, password.byteLength));
  const slt = wasm.malloc(salt.byteLength);
  const out = wasm.malloc(params.hashBytes);
  try {
    if (!pwd || !slt || !out) throw new Error("argon2: out of memory");
    new Uint8Array(wasm.memory.buffer).set(password, pwd);
    new Uint8Array(wasm.memory.buffer).set(salt, slt);
    const rc = wasm.argon2_hash(
      params.t,
      params.m,
      params.p,
      pwd,
      password.byteLength,
      slt,
      salt.byteLength,
      out,
      params.hashBytes,
      0,
      0,
      ARGON2_TYPE_ID,
      ARGON2_VERSION_13,
    );
    if (rc !== 0) throw new Error(`argon2: error ${rc}`);
    return new Uint8Array(wasm.memory.buffer).slice(out, out + params.hashBytes);
  } catch (err) {
    // A trap can leave the instance inconsistent: start from a fresh one next time.
    argon2 = undefined;
    throw err;
  } finally {
    if (argon2 === wasm) {
      // The heap outlives the call: do not leave the password bytes in it.
      new Uint8Array(wasm.memory.buffer).fill(0, pwd, pwd + password.byteLength);
      wasm.free(out);
      wasm.free(slt);
      wasm.free(pwd);
    }
  }
}
