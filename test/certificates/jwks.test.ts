/**
 * GET /.well-known/jwks.json and the certificate key configuration (src/lib/certificates/keys.ts,
 * src/env.ts): public keys only, the current one first, previous ones by kid; bad keys are
 * configuration problems, named without their values.
 */
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { publicJwks, signingKey } from "../../src/lib/certificates/keys";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";

const TEST_KEY = JSON.parse(testEnv.CERT_SIGNING_KEY) as Record<string, string>;
const TEST_PUBLIC = {
  kty: "OKP",
  crv: "Ed25519",
  x: TEST_KEY.x,
  kid: "test-2026-12-02",
  alg: "EdDSA",
  use: "sig",
};

async function newKey(kid: string) {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const pub = { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: "EdDSA", use: "sig" };
  return { private: { ...pub, d: jwk.d }, public: pub };
}

function issuesOf(env: Record<string, unknown>): string[] {
  const result = loadConfig({ ...testEnv, ...env });
  return result.ok ? [] : result.issues;
}

describe("GET /.well-known/jwks.json", () => {
  it("serves the current public key, cacheable for five minutes, without any private part", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get<{ keys: unknown[] }>("/.well-known/jwks.json");
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({ keys: [TEST_PUBLIC] });
    expect(res.text).not.toContain('"d"');
    expect(res.text).not.toContain(TEST_KEY.d);
  });

  it("adds previous keys after the current one, once per kid, never a private part", async (t) => {
    const a = await newKey("2025-01-01-aaaaaa");
    const b = await newKey("2025-06-01-bbbbbb");
    const h = await Harness.init(t, {
      env: {
        // The current key listed again (same kid and x) and `a` twice: each served once.
        CERT_PREVIOUS_KEYS: JSON.stringify([a.public, TEST_PUBLIC, b.public, a.public]),
      },
    });
    const res = await h.get<{ keys: { kid: string }[] }>("/.well-known/jwks.json");
    expect(res.status, res.text).toBe(200);
    expect(res.body.keys).toEqual([TEST_PUBLIC, a.public, b.public]);
    expect(res.text).not.toContain('"d"');
  });

  it("development without CERT_SIGNING_KEY: serves previous keys only, and signing says why not", async (t) => {
    const a = await newKey("2025-01-01-aaaaaa");
    const env = { CERT_SIGNING_KEY: "", CERT_PREVIOUS_KEYS: JSON.stringify([a.public]) };
    const h = await Harness.init(t, { env });
    const res = await h.get<{ keys: unknown[] }>("/.well-known/jwks.json");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ keys: [a.public] });
    const loaded = loadConfig({ ...testEnv, ...env });
    if (!loaded.ok) throw new Error(loaded.issues.join("; "));
    await expect(signingKey(loaded.config)).rejects.toThrow(/CERT_SIGNING_KEY is not set/);
  });

  it("publicJwks never copies fields beyond the public ones", async () => {
    const loaded = loadConfig({
      ...testEnv,
      CERT_SIGNING_KEY: JSON.stringify({ ...TEST_KEY, key_ops: ["sign"], p: "x", ext: true }),
    });
    if (!loaded.ok) throw new Error(loaded.issues.join("; "));
    expect(publicJwks(loaded.config)).toEqual({ keys: [TEST_PUBLIC] });
  });

  it("a key whose x is not the public half of its d is refused when imported", async () => {
    const other = await newKey("mismatch-1");
    const loaded = loadConfig({
      ...testEnv,
      CERT_SIGNING_KEY: JSON.stringify({ ...other.private, x: TEST_KEY.x }),
    });
    if (!loaded.ok) throw new Error(loaded.issues.join("; "));
    await expect(signingKey(loaded.config)).rejects.toThrow(/x is not the public key of d/);
  });
});

describe("certificate key configuration", () => {
  const staging = {
    ENVIRONMENT: "staging",
    CERT_SIGNING_KEY: "",
    CERT_SUBJECT_SALT: "",
    PUBLIC_VERIFY_BASE_URL: "http://verify.example.in",
  };

  it("staging and production require a real key and salt, and an https verify URL", async () => {
    for (const ENVIRONMENT of ["staging", "production"]) {
      const issues = issuesOf({ ...staging, ENVIRONMENT });
      expect(issues).toContain(
        "CERT_SIGNING_KEY: required outside development and tests (npm run certs:keygen)",
      );
      expect(issues).toContain("CERT_SUBJECT_SALT: required outside development and tests");
      expect(issues).toContain("PUBLIC_VERIFY_BASE_URL: must be https");
    }
    // The committed test key signs nothing real.
    expect(issuesOf({ ...staging, CERT_SIGNING_KEY: testEnv.CERT_SIGNING_KEY })).toContain(
      "CERT_SIGNING_KEY: the committed development key must not sign outside development",
    );
    const real = await newKey("2026-12-02-c0ffee");
    const fine = issuesOf({
      ...staging,
      CERT_SIGNING_KEY: JSON.stringify(real.private),
      CERT_SUBJECT_SALT: "a-real-subject-salt-0123456789",
      PUBLIC_VERIFY_BASE_URL: "https://verify.example.in",
    });
    expect(fine.filter((i) => /^(CERT_|PUBLIC_VERIFY)/.test(i))).toEqual([]);
  });

  it("development and tests may leave the key unset", () => {
    expect(issuesOf({ CERT_SIGNING_KEY: "" })).toEqual([]);
    expect(issuesOf({ ENVIRONMENT: "development", CERT_SIGNING_KEY: undefined })).toEqual([]);
  });

  it.each([
    ["not JSON", { CERT_SIGNING_KEY: "{kty:OKP" }, "CERT_SIGNING_KEY: is not valid JSON"],
    [
      "a P-256 key",
      {
        CERT_SIGNING_KEY: JSON.stringify({
          kty: "EC",
          crv: "P-256",
          x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
          d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
          kid: "ec-1",
        }),
      },
      "CERT_SIGNING_KEY: must be an Ed25519 key (kty OKP, crv Ed25519)",
    ],
    [
      "an X25519 (encryption) key",
      { CERT_SIGNING_KEY: JSON.stringify({ ...TEST_KEY, crv: "X25519" }) },
      "CERT_SIGNING_KEY: must be an Ed25519 key (kty OKP, crv Ed25519)",
    ],
    [
      "another algorithm named",
      { CERT_SIGNING_KEY: JSON.stringify({ ...TEST_KEY, alg: "ES256" }) },
      "CERT_SIGNING_KEY: alg, when present, must be EdDSA",
    ],
    [
      "a key without kid",
      { CERT_SIGNING_KEY: JSON.stringify({ ...TEST_KEY, kid: undefined }) },
      "CERT_SIGNING_KEY: kid is required (1-100 of A-Z a-z 0-9 . _ : -)",
    ],
    [
      "a public key only",
      { CERT_SIGNING_KEY: JSON.stringify(TEST_PUBLIC) },
      "CERT_SIGNING_KEY: d (the private key) is required: this must be a private JWK",
    ],
    [
      "previous keys not an array",
      { CERT_PREVIOUS_KEYS: JSON.stringify(TEST_PUBLIC) },
      "CERT_PREVIOUS_KEYS: must be a JSON array",
    ],
    [
      "a private key among the previous ones",
      { CERT_PREVIOUS_KEYS: JSON.stringify([TEST_KEY]) },
      "CERT_PREVIOUS_KEYS: [0] must hold public keys only (remove d)",
    ],
    [
      "a previous key without kid",
      { CERT_PREVIOUS_KEYS: JSON.stringify([{ ...TEST_PUBLIC, kid: "" }]) },
      "CERT_PREVIOUS_KEYS: [0] kid is required (1-100 of A-Z a-z 0-9 . _ : -)",
    ],
    [
      "the current kid on another key",
      {
        CERT_PREVIOUS_KEYS: JSON.stringify([
          { ...TEST_PUBLIC, x: "DCQ3oqZriFD3bpUSG5xLsNxfhspoHA0Sv5LVTh7cqcE" },
        ]),
      },
      "CERT_PREVIOUS_KEYS: kid test-2026-12-02 is the current key's kid with another key",
    ],
    [
      "a short subject salt",
      { CERT_SUBJECT_SALT: "short" },
      "CERT_SUBJECT_SALT: CERT_SUBJECT_SALT must be at least 16 characters",
    ],
    [
      "an issuer that is neither DID nor URL",
      { CERT_ISSUER_ID: "Demo Coaching" },
      "CERT_ISSUER_ID: CERT_ISSUER_ID must be a DID or a URL",
    ],
  ])("%s → a problem naming the setting, never its value", (_label, env, problem) => {
    const issues = issuesOf(env);
    expect(issues).toEqual([problem]);
    expect(issues.join(" ")).not.toContain(TEST_KEY.d);
  });
});
