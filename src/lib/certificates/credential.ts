/**
 * A certificate as an Open Badges 3.0 OpenBadgeCredential secured as a VC-JWT (Ed25519).
 *
 * The payload IS the credential (VC Data Model 2.0 + VC-JOSE-COSE: no `vc` wrapper claim), plus
 * the registered claims OB 3.0 asks for: `iss` = issuer.id, `jti` = id, `nbf` = validFrom,
 * `sub` = credentialSubject.id when there is one, and `iat`.
 * Header: `alg: EdDSA`, `kid` (a key of /.well-known/jwks.json), `typ: "vc+jwt"`. VC-JOSE-COSE
 * (W3C Rec., 2025) says `typ` SHOULD be `vc+jwt` for VCDM 2.0 credentials; OB 3.0's older text
 * ("if present, JWT") describes the VCDM 1.1 form with a `vc` claim, which this is not.
 *
 * The subject is an IdentityObject holding sha256(lowercased email + salt), with the salt
 * beside it (OB 3.0 IdentityObject.salt), so someone who knows the email can confirm it and no
 * one else learns it. The printed name is a second, unhashed IdentityObject (identityType
 * `name`): it is on the paper certificate anyway. Signing is deterministic (Ed25519, iat =
 * issuedAt): the same certificate always yields the same JWT.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from "jose";

export const VC_JWT_TYP = "vc+jwt";
export const CREDENTIAL_CONTEXT = [
  "https://www.w3.org/ns/credentials/v2",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
] as const;

export interface CertificateCredentialInput {
  /** The private key: a CryptoKey (from keys.ts `signingKey`) or a private JWK. */
  key: CryptoKey | JWK;
  kid: string;
  issuer: { id: string; name: string; url: string };
  /** `urn:uuid:…` */
  credentialId: string;
  /** The certificate code, display form (what is printed). */
  code: string;
  /** The public verify page for this certificate (the QR code's target). */
  verifyUrl: string;
  /** The learner's name as printed. */
  name: string;
  course: string;
  batchName: string;
  /** `YYYY-MM-DD` or a Date. */
  startDate: string | Date;
  endDate: string | Date;
  issuedAt: Date;
  /** 0 to 100. */
  attendancePct: number;
  /** Hashed with the salt; never written into the credential. */
  subjectEmail: string;
  /** Published beside the hash (see keys.ts `subjectSaltFor`). */
  subjectSalt: string;
  /** A DID or URL for the learner, when there is one: credentialSubject.id and `sub`. */
  subjectId?: string;
  /** The achievement's URI; defaults to the verify URL's `#achievement`. */
  achievementId?: string;
}

export interface IdentityObject {
  type: "IdentityObject";
  identityType: "emailAddress" | "name";
  hashed: boolean;
  identityHash: string;
  salt?: string;
}

export interface OpenBadgeCredential {
  "@context": readonly string[];
  id: string;
  type: ["VerifiableCredential", "OpenBadgeCredential"];
  issuer: { id: string; type: ["Profile"]; name: string; url: string };
  validFrom: string;
  name: string;
  description: string;
  credentialSubject: {
    id?: string;
    type: ["AchievementSubject"];
    identifier: IdentityObject[];
    activityStartDate: string;
    activityEndDate: string;
    term: string;
    narrative: string;
    achievement: {
      id: string;
      type: ["Achievement"];
      achievementType: "Certificate";
      name: string;
      description: string;
      criteria: { narrative: string };
    };
  };
  evidence: { id: string; type: ["Evidence"]; name: string; narrative: string }[];
}

/** The JWT payload: the credential and its registered claims. */
export type CertificateCredentialPayload = OpenBadgeCredential & {
  iss: string;
  jti: string;
  nbf: number;
  iat: number;
  sub?: string;
};

/** `sha256$<hex>` of the trimmed, lowercased email followed by the salt (OB IdentityHash). */
export async function hashSubjectEmail(email: string, salt: string): Promise<string> {
  const bytes = new TextEncoder().encode(email.trim().toLowerCase() + salt);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `sha256$${hex}`;
}

const day = (d: string | Date) => (typeof d === "string" ? d : d.toISOString().slice(0, 10));
const dateTime = (d: string | Date) => `${day(d)}T00:00:00Z`;
// Second precision: nbf is whole seconds and must equal validFrom.
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The credential document (unsigned). */
export async function buildCertificateCredential(
  input: Omit<CertificateCredentialInput, "key" | "kid">,
): Promise<OpenBadgeCredential> {
  const pct = Math.round(input.attendancePct * 10) / 10;
  const start = day(input.startDate);
  const end = day(input.endDate);
  return {
    "@context": CREDENTIAL_CONTEXT,
    id: input.credentialId,
    type: ["VerifiableCredential", "OpenBadgeCredential"],
    issuer: {
      id: input.issuer.id,
      type: ["Profile"],
      name: input.issuer.name,
      url: input.issuer.url,
    },
    validFrom: new Date(seconds(input.issuedAt) * 1000).toISOString().replace(".000Z", "Z"),
    name: `Certificate of completion: ${input.course}`,
    description: `${input.issuer.name} certifies that ${input.name} completed ${input.course} (${input.batchName}). Certificate ${input.code}.`,
    credentialSubject: {
      ...(input.subjectId ? { id: input.subjectId } : {}),
      type: ["AchievementSubject"],
      identifier: [
        {
          type: "IdentityObject",
          identityType: "emailAddress",
          hashed: true,
          identityHash: await hashSubjectEmail(input.subjectEmail, input.subjectSalt),
          salt: input.subjectSalt,
        },
        { type: "IdentityObject", identityType: "name", hashed: false, identityHash: input.name },
      ],
      activityStartDate: dateTime(start),
      activityEndDate: dateTime(end),
      term: input.batchName,
      narrative: `Attended ${pct}% of the live sessions of ${input.batchName}, ${start} to ${end}.`,
      achievement: {
        id: input.achievementId ?? `${input.verifyUrl}#achievement`,
        type: ["Achievement"],
        achievementType: "Certificate",
        name: input.course,
        description: `Completion of ${input.course}, a course by ${input.issuer.name}.`,
        criteria: {
          narrative: `Enrolled in a batch of ${input.course} and completed it with the attendance the course requires.`,
        },
      },
    },
    evidence: [
      {
        id: input.verifyUrl,
        type: ["Evidence"],
        name: `Certificate ${input.code}`,
        narrative: "The issuer's public page confirming this certificate and whether it stands.",
      },
    ],
  };
}

/** Signs the certificate as a compact JWS (VC-JWT). */
export async function signCertificateCredential(
  input: CertificateCredentialInput,
): Promise<string> {
  const credential = await buildCertificateCredential(input);
  const nbf = seconds(input.issuedAt);
  const jwt = new SignJWT({ ...credential })
    .setProtectedHeader({ alg: "EdDSA", kid: input.kid, typ: VC_JWT_TYP })
    .setIssuer(credential.issuer.id)
    .setJti(credential.id)
    .setNotBefore(nbf)
    .setIssuedAt(nbf);
  if (credential.credentialSubject.id) jwt.setSubject(credential.credentialSubject.id);
  return jwt.sign(input.key);
}

/**
 * Verifies a VC-JWT against a JWKS (e.g. /.well-known/jwks.json): signature, `typ`, `alg`,
 * and that each registered claim matches the credential (OB 3.0 "Verify a Credential").
 * Returns the payload, or throws.
 */
export async function verifyCertificateCredential(
  jwt: string,
  jwks: JSONWebKeySet,
  opts: { issuer?: string; currentDate?: Date } = {},
): Promise<CertificateCredentialPayload> {
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
    algorithms: ["EdDSA"],
    typ: VC_JWT_TYP,
    issuer: opts.issuer,
    currentDate: opts.currentDate,
  });
  const p = payload as unknown as CertificateCredentialPayload;
  const types: unknown[] = Array.isArray(p.type) ? p.type : [];
  if (!types.includes("VerifiableCredential") || !types.includes("OpenBadgeCredential")) {
    throw new Error("not an OpenBadgeCredential");
  }
  if (typeof p.issuer !== "object" || p.iss !== p.issuer?.id) {
    throw new Error("iss does not match issuer.id");
  }
  if (p.jti !== p.id) throw new Error("jti does not match id");
  if (typeof p.validFrom !== "string" || p.nbf !== Date.parse(p.validFrom) / 1000) {
    throw new Error("nbf does not match validFrom");
  }
  if (p.sub !== p.credentialSubject?.id) throw new Error("sub does not match credentialSubject.id");
  return p;
}
