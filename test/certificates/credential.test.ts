/**
 * src/lib/certificates/credential.ts: an Open Badges 3.0 credential as a VC-JWT, signed with
 * Ed25519 inside workerd and verified with jose against the JWKS the app serves.
 */
import {
  base64url,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  SignJWT,
} from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import {
  buildCertificateCredential,
  type CertificateCredentialInput,
  hashSubjectEmail,
  signCertificateCredential,
  verifyCertificateCredential,
} from "../../src/lib/certificates/credential";
import { signingKey, subjectSaltFor } from "../../src/lib/certificates/keys";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";

const EMAIL = "Asha.Verma@Example.in";

function config(env: object = testEnv) {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.issues.join("; "));
  return loaded.config;
}

async function input(
  overrides: Partial<CertificateCredentialInput> = {},
): Promise<CertificateCredentialInput> {
  const c = config();
  const { key, kid } = await signingKey(c);
  const credentialId = `urn:uuid:${crypto.randomUUID()}`;
  return {
    key,
    kid,
    issuer: { id: c.CERT_ISSUER_ID, name: c.CERT_ISSUER_NAME, url: "https://example.in" },
    credentialId,
    code: "7KQ4-M2XD-9RTB-HF3QW-ZP8NA-C6VJ0",
    verifyUrl: `${c.PUBLIC_VERIFY_BASE_URL}/verify/7KQ4-M2XD-9RTB-HF3QW-ZP8NA-C6VJ0`,
    name: "Asha Verma",
    course: "JEE Physics Foundation",
    batchName: "Pune Morning Batch, Jan 2026",
    startDate: "2026-01-05",
    endDate: "2026-03-28",
    issuedAt: new Date("2026-04-02T10:15:30.456Z"),
    attendancePct: 92.345,
    subjectEmail: EMAIL,
    subjectSalt: await subjectSaltFor(c, credentialId),
    ...overrides,
  };
}

async function servedJwks(h: Harness): Promise<JSONWebKeySet> {
  const res = await h.get<JSONWebKeySet>("/.well-known/jwks.json");
  expect(res.status, res.text).toBe(200);
  return res.body;
}

const decodePayload = (jwt: string) =>
  JSON.parse(new TextDecoder().decode(base64url.decode(jwt.split(".")[1] ?? "")));

describe("certificate credential (VC-JWT)", () => {
  it("signs with Ed25519 in workerd and verifies with jose against GET /.well-known/jwks.json", async (t) => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    const h = await Harness.init(t);
    const cert = await input();
    const jwt = await signCertificateCredential(cert);

    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: "EdDSA",
      kid: "test-2026-12-02",
      typ: "vc+jwt",
    });
    const payload = await verifyCertificateCredential(jwt, await servedJwks(h));
    expect(payload).toMatchObject({
      "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
      ],
      id: cert.credentialId,
      type: ["VerifiableCredential", "OpenBadgeCredential"],
      issuer: {
        id: "did:web:example.in",
        type: ["Profile"],
        name: "Demo Coaching",
        url: "https://example.in",
      },
      validFrom: "2026-04-02T10:15:30Z",
      iss: "did:web:example.in",
      jti: cert.credentialId,
      nbf: Date.parse("2026-04-02T10:15:30Z") / 1000,
      iat: Date.parse("2026-04-02T10:15:30Z") / 1000,
      credentialSubject: {
        type: ["AchievementSubject"],
        activityStartDate: "2026-01-05T00:00:00Z",
        activityEndDate: "2026-03-28T00:00:00Z",
        term: "Pune Morning Batch, Jan 2026",
        achievement: {
          type: ["Achievement"],
          name: "JEE Physics Foundation",
          criteria: { narrative: expect.any(String) },
        },
      },
      evidence: [{ id: cert.verifyUrl, name: `Certificate ${cert.code}` }],
    });
    expect(payload.credentialSubject.narrative).toContain("92.3%");
    expect(payload).not.toHaveProperty("sub");
    expect(payload).not.toHaveProperty("vc");
    // Deterministic: the same certificate signs to the same bytes.
    expect(await signCertificateCredential(cert)).toBe(jwt);
  });

  it("identifies the learner by a salted email hash, never the plain email", async () => {
    const cert = await input();
    const jwt = await signCertificateCredential(cert);
    const payload = decodePayload(jwt);
    const [email, name] = payload.credentialSubject.identifier;
    expect(email).toEqual({
      type: "IdentityObject",
      identityType: "emailAddress",
      hashed: true,
      identityHash: expect.stringMatching(/^sha256\$[0-9a-f]{64}$/),
      salt: cert.subjectSalt,
    });
    // What a verifier who knows the email does: sha256(lowercased email + salt).
    const bytes = new TextEncoder().encode(EMAIL.toLowerCase() + cert.subjectSalt);
    const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(email.identityHash).toBe(`sha256$${hex}`);
    expect(await hashSubjectEmail(" asha.verma@example.IN ", cert.subjectSalt)).toBe(
      `sha256$${hex}`,
    );
    expect(name).toEqual({
      type: "IdentityObject",
      identityType: "name",
      hashed: false,
      identityHash: "Asha Verma",
    });
    const text = JSON.stringify(payload).toLowerCase();
    expect(text).not.toContain("asha.verma");
    expect(text).not.toContain("@example.in");
    // The salt is per credential, and never the configured secret itself.
    expect(cert.subjectSalt).not.toBe(testEnv.CERT_SUBJECT_SALT);
    const other = await input();
    expect(other.subjectSalt).not.toBe(cert.subjectSalt);
    expect(await subjectSaltFor(config(), cert.credentialId)).toBe(cert.subjectSalt);
  });

  it("fails when any one byte of the payload changes", async (t) => {
    const h = await Harness.init(t);
    const jwks = await servedJwks(h);
    const jwt = await signCertificateCredential(await input());
    const [header, payload, signature] = jwt.split(".") as [string, string, string];
    await expect(verifyCertificateCredential(jwt, jwks)).resolves.toBeTruthy();

    const bytes = base64url.decode(payload);
    const offsets = [0, 1, Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 2];
    for (const at of offsets) {
      const changed = Uint8Array.from(bytes);
      changed[at] = (changed[at] ?? 0) ^ 0x01;
      const forged = `${header}.${base64url.encode(changed)}.${signature}`;
      await expect(verifyCertificateCredential(forged, jwks), `byte ${at}`).rejects.toThrow();
    }
    // And one character of the encoded segment.
    const c = payload[10] === "A" ? "B" : "A";
    const forged = `${header}.${payload.slice(0, 10)}${c}${payload.slice(11)}.${signature}`;
    await expect(verifyCertificateCredential(forged, jwks)).rejects.toThrow();
  });

  it("a credential signed with a previous key verifies while CERT_PREVIOUS_KEYS publishes it", async (t) => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", {
      crv: "Ed25519",
      extractable: true,
    });
    const old = { ...(await exportJWK(publicKey)), kid: "2025-06-01-a1b2c3", alg: "EdDSA" };
    // Signed with the private key as a JWK, as an operator's script might.
    const privateJwk = { ...(await exportJWK(privateKey)), kid: old.kid, alg: "EdDSA" };
    const jwt = await signCertificateCredential(await input({ key: privateJwk, kid: old.kid }));

    const kept = await Harness.init(t, { env: { CERT_PREVIOUS_KEYS: JSON.stringify([old]) } });
    const jwks = await servedJwks(kept);
    expect(jwks.keys.map((k) => k.kid)).toEqual(["test-2026-12-02", old.kid]);
    await expect(verifyCertificateCredential(jwt, jwks)).resolves.toMatchObject({
      iss: "did:web:example.in",
    });

    const dropped = await Harness.init(t);
    await expect(verifyCertificateCredential(jwt, await servedJwks(dropped))).rejects.toThrow(
      /no applicable key/i,
    );
  });

  it("rejects a token that is not our VC-JWT: other typ, claims that contradict the credential", async (t) => {
    const h = await Harness.init(t);
    const jwks = await servedJwks(h);
    const cert = await input();
    const credential = { ...(await buildCertificateCredential(cert)) };
    const nbf = Date.parse(credential.validFrom) / 1000;
    const sign = (typ: string, claims: { iss: string; jti: string; nbf: number }) =>
      new SignJWT({ ...credential, ...claims })
        .setProtectedHeader({ alg: "EdDSA", kid: cert.kid, typ })
        .sign(cert.key);
    const good = { iss: credential.issuer.id, jti: credential.id, nbf };
    await expect(
      verifyCertificateCredential(await sign("vc+jwt", good), jwks),
    ).resolves.toBeTruthy();
    const bad: [string, Promise<string>][] = [
      ["typ JWT", sign("JWT", good)],
      ["iss", sign("vc+jwt", { ...good, iss: "did:web:evil.example" })],
      ["jti", sign("vc+jwt", { ...good, jti: "urn:uuid:00000000-0000-4000-8000-000000000000" })],
      ["nbf", sign("vc+jwt", { ...good, nbf: nbf - 86_400 })],
    ];
    for (const [label, token] of bad) {
      await expect(verifyCertificateCredential(await token, jwks), label).rejects.toThrow();
    }
  });
});
