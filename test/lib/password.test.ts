import { describe, expect, it } from "vitest";
import { COMMON_PASSWORDS_TEXT } from "../../src/lib/common-passwords";
import {
  ARGON2ID_PARAMS,
  DUMMY_PASSWORD_HASH,
  hashPassword,
  PASSWORD_ALGORITHM,
  PBKDF2_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  validatePasswordPolicy,
  verifyAgainstDummy,
  verifyPassword,
} from "../../src/lib/password";
import { toBase64 } from "../../src/lib/tokens";

const SALT_1_TO_16 = "AQIDBAUGBwgJCgsMDQ4PEA";
// Made by the argon2 reference C code (@phi-ag/argon2 under Node) and cross-checked with
// @noble/hashes: weaker than today's parameters on purpose.
const OLD_ARGON2_VECTOR = `$argon2id$v=19$m=8192,t=1,p=1$${SALT_1_TO_16}$Y+3VA88QIAJPWQUaoCQNK09OzSY6cobIQAqVpeW+Mgk`;
const OLD_ARGON2_PASSWORD = "correct horse battery staple";
// The same password at the current parameters, from the reference C code.
const CURRENT_ARGON2_VECTOR = `$argon2id$v=19$m=19456,t=2,p=1$${SALT_1_TO_16}$u7HkQc8NFEyI1fGa9gfr7DIUnvi/UM/saRdXcmsbkMA`;
// argon2id over the UTF-8 bytes of "पासवर्ड-एक🔑", computed by @noble/hashes (pure JS).
const UNICODE_VECTOR = `$argon2id$v=19$m=1024,t=1,p=1$${SALT_1_TO_16}$15UND/neLO86dG3w1EfMNzYNGBVYM5aFSabNuOAuYVE`;

async function pbkdf2Stored(password: string, iterations: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return `$pbkdf2-sha256$i=${iterations}$${toBase64(salt)}$${toBase64(new Uint8Array(bits))}`;
}

describe("hashPassword / verifyPassword", () => {
  it("round-trips, in the named PHC format at the current parameters", async () => {
    const stored = await hashPassword("a perfectly fine passphrase");
    expect(stored).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(await verifyPassword("a perfectly fine passphrase", stored)).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it("rejects a wrong password", async () => {
    const stored = await hashPassword("a perfectly fine passphrase");
    for (const wrong of ["a perfectly fine passphras", "A perfectly fine passphrase", ""]) {
      expect((await verifyPassword(wrong, stored)).ok, wrong).toBe(false);
    }
    expect((await verifyPassword("a perfectly fine passphrase ", stored)).ok).toBe(false);
  });

  it("salts: the same password hashes differently twice", async () => {
    expect(await hashPassword("same password twice")).not.toBe(
      await hashPassword("same password twice"),
    );
  });

  it.for([
    ["emoji", "🔐🦄 my 🐉 dragon"],
    ["Devanagari", "मेरा गुप्त पासवर्ड"],
    ["mixed scripts", "Ωμέγα-密码-пароль"],
  ] as const)("verifies %s passwords and only them", async ([, password]) => {
    const stored = await hashPassword(password);
    expect(await verifyPassword(password, stored)).toEqual({ ok: true, needsRehash: false });
    // Same UTF-16 length, different last character: catches byte-length/UTF-16 confusion.
    const chars = [...password];
    const last = chars.pop() ?? "";
    const other = chars.join("") + (last === "x" ? "y" : "x");
    expect((await verifyPassword(other, stored)).ok).toBe(false);
  });

  it("hashes the exact UTF-8 bytes (interop with an independent argon2id)", async () => {
    expect(await verifyPassword("पासवर्ड-एक🔑", UNICODE_VECTOR)).toEqual({
      ok: true,
      needsRehash: true,
    });
    // The wasm package's own hash() truncates to the UTF-16 length: this one must differ.
    expect((await verifyPassword("पासवर्ड-दो🔑", UNICODE_VECTOR)).ok).toBe(false);
    expect((await verifyPassword(OLD_ARGON2_PASSWORD, CURRENT_ARGON2_VECTOR)).ok).toBe(true);
  });

  it("treats canonically equivalent (NFC/NFD) input as the same password", async () => {
    const composed = "café au lait déjà".normalize("NFC");
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    const stored = await hashPassword(decomposed);
    expect((await verifyPassword(composed, stored)).ok).toBe(true);
  });

  it("does not truncate: 100-character passwords differing in the last one do not match", async () => {
    const base = "x".repeat(99);
    const stored = await hashPassword(`${base}a`);
    expect((await verifyPassword(`${base}a`, stored)).ok).toBe(true);
    expect((await verifyPassword(`${base}b`, stored)).ok).toBe(false);
  });

  it("accepts 128 characters and refuses to hash 129", async () => {
    const max = "ab".repeat(64);
    expect((await verifyPassword(max, await hashPassword(max))).ok).toBe(true);
    await expect(hashPassword(`${max}c`)).rejects.toThrow(RangeError);
    await expect(hashPassword("")).rejects.toThrow(RangeError);
  });

  it("flags weaker stored parameters for rehash", async () => {
    expect(await verifyPassword(OLD_ARGON2_PASSWORD, OLD_ARGON2_VECTOR)).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(await verifyPassword(OLD_ARGON2_PASSWORD, CURRENT_ARGON2_VECTOR)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await verifyPassword("wrong", OLD_ARGON2_VECTOR)).ok).toBe(false);
  });

  it("verifies PBKDF2-SHA256 hashes and asks to move them to argon2id", async () => {
    expect(PASSWORD_ALGORITHM).toBe("argon2id");
    const stored = await hashPassword("legacy password", { algorithm: "pbkdf2-sha256" });
    expect(stored).toMatch(/^\$pbkdf2-sha256\$i=100000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword("legacy password", stored)).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect((await verifyPassword("legacy passworD", stored)).ok).toBe(false);
    const fewer = await pbkdf2Stored("legacy password", 50_000);
    expect(await verifyPassword("legacy password", fewer)).toEqual({
      ok: true,
      needsRehash: true,
    });
  });

  it.for([
    ["empty", ""],
    ["garbage", "not a hash"],
    ["bcrypt", "$2b$12$abcdefghijklmnopqrstuuJ7wW8bT5b7W1u3a6iJqQ0k2mZ4n6x8y"],
    ["argon2i", `$argon2i$v=19$m=19456,t=2,p=1$${SALT_1_TO_16}$u7HkQc8NFEyI1fGa9gfr7DIUnvi`],
    ["missing hash", `$argon2id$v=19$m=19456,t=2,p=1$${SALT_1_TO_16}$`],
    ["bad base64", `$argon2id$v=19$m=19456,t=2,p=1$${SALT_1_TO_16}$***not*base64***`],
    ["short hash", `$argon2id$v=19$m=19456,t=2,p=1$${SALT_1_TO_16}$AAAA`],
    ["version 16", OLD_ARGON2_VECTOR.replace("v=19", "v=16")],
    ["huge memory", OLD_ARGON2_VECTOR.replace("m=8192", "m=4194304")],
    ["huge time", OLD_ARGON2_VECTOR.replace("t=1", "t=999")],
    ["zero lanes", OLD_ARGON2_VECTOR.replace("p=1", "p=0")],
    ["trailing junk", `${OLD_ARGON2_VECTOR}$x`],
    ["pbkdf2 above the cap", `$pbkdf2-sha256$i=100001$AQIDBAUGBwgJCgsMDQ4PEA$${"A".repeat(43)}`],
    ["pbkdf2 tiny", `$pbkdf2-sha256$i=1$AQIDBAUGBwgJCgsMDQ4PEA$${"A".repeat(43)}`],
  ] as const)("a malformed stored hash (%s) → ok:false, no throw", async ([, stored]) => {
    const result = await verifyPassword(OLD_ARGON2_PASSWORD, stored);
    expect(result.ok).toBe(false);
  });

  it("a non-string stored value → ok:false, no throw", async () => {
    const stored: unknown = null;
    expect((await verifyPassword("whatever", stored as string)).ok).toBe(false);
  });

  it("an absurdly long input is refused without hashing", async () => {
    const stored = await hashPassword("short one here");
    expect((await verifyPassword("y".repeat(100_000), stored)).ok).toBe(false);
  });
});

describe("PBKDF2 cap (production Workers refuse more than 100,000 iterations)", () => {
  it("the configured iteration count stays at or under 100,000", () => {
    // Literal on purpose: raising the exported cap must not raise what this test allows.
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_MAX_ITERATIONS).toBeLessThanOrEqual(100_000);
  });

  it("what hashPassword writes stays at or under 100,000", async () => {
    const stored = await hashPassword("capped password", { algorithm: "pbkdf2-sha256" });
    const iterations = Number(/\$i=(\d+)\$/.exec(stored)?.[1]);
    expect(iterations).toBeGreaterThan(0);
    expect(iterations).toBeLessThanOrEqual(100_000);
  });

  it("a stored hash above the cap is refused rather than run", async () => {
    const stored = await pbkdf2Stored("capped password", 100_001);
    expect((await verifyPassword("capped password", stored)).ok).toBe(false);
  });
});

describe("dummy verification for unknown accounts", () => {
  it("always fails and uses the current parameters", async () => {
    expect(await verifyAgainstDummy("anything at all")).toBe(false);
    expect(await verifyPassword("anything at all", DUMMY_PASSWORD_HASH)).toEqual({
      ok: false,
      needsRehash: false,
    });
    const { m, t, p } = ARGON2ID_PARAMS;
    expect(DUMMY_PASSWORD_HASH.startsWith(`$argon2id$v=19$m=${m},t=${t},p=${p}$`)).toBe(true);
  });
});

describe("validatePasswordPolicy", () => {
  it("accepts 8 to 128 characters of anything, with no composition rules", () => {
    for (const ok of ["lowercaseonly", "12345679-not-common", "मेरा पासवर्ड", "ab".repeat(64)]) {
      expect(validatePasswordPolicy(ok), ok).toEqual({ ok: true });
    }
  });

  it("counts code points, not UTF-16 units", () => {
    expect(validatePasswordPolicy("🐉🦄🔐🌶️🍉🎲🧩🪁").ok).toBe(true);
    // Four emoji are eight UTF-16 units but four characters.
    expect(validatePasswordPolicy("🐉🦄🔐🍉")).toMatchObject({ ok: false, reason: "too_short" });
    expect(validatePasswordPolicy("🐉".repeat(128)).ok).toBe(true);
    expect(validatePasswordPolicy("🐉".repeat(129))).toMatchObject({ reason: "too_long" });
  });

  it("rejects under 8 and over 128 characters", () => {
    expect(validatePasswordPolicy("seven77")).toMatchObject({ ok: false, reason: "too_short" });
    expect(validatePasswordPolicy("x".repeat(129))).toMatchObject({
      ok: false,
      reason: "too_long",
    });
  });

  it.for(["password", "Password1", "qwertyuiop", "iloveyou", "1234567890", "baseball"])(
    "rejects the common password %s (case-insensitively)",
    (password) => {
      expect(validatePasswordPolicy(password)).toMatchObject({ ok: false, reason: "common" });
    },
  );

  it("ships a list of well over 10,000 common passwords, all lower case and ≥ 8 long", () => {
    const list = COMMON_PASSWORDS_TEXT.split("\n");
    expect(list.length).toBeGreaterThan(10_000);
    expect(list.slice(0, 3)).toEqual(["password", "12345678", "123456789"]);
    expect(list.every((p) => p === p.toLowerCase() && [...p].length >= 8)).toBe(true);
  });

  it("rejects the user's email, its local part and their name", () => {
    const context = { email: "Asha.Kulkarni@Example.in", name: "Asha Kulkarni" };
    for (const password of [
      "asha.kulkarni@example.in",
      "ASHA.KULKARNI@EXAMPLE.IN",
      "asha.kulkarni",
      "Asha Kulkarni",
      "ashakulkarni",
    ]) {
      expect(validatePasswordPolicy(password, context), password).toMatchObject({
        ok: false,
        reason: "matches_identity",
      });
    }
    expect(validatePasswordPolicy("asha kulkarni teaches maths", context).ok).toBe(true);
  });
});
