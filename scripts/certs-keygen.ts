/**
 * `npm run certs:keygen`: a new Ed25519 key for signing certificate credentials.
 *
 * Prints two lines: the private JWK to set as CERT_SIGNING_KEY (`wrangler secret put
 * CERT_SIGNING_KEY --env production`, paste the line), and its public JWK, which goes into
 * CERT_PREVIOUS_KEYS at the NEXT rotation so certificates signed with this key keep verifying.
 * Rotation, step by step: .dev.vars.example. Nothing is written to disk.
 */
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";

const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
const jwk = await exportJWK(privateKey);
if (!jwk.x || !jwk.d) throw new Error("jose exported no Ed25519 key material");

// Sorts by creation date, and a short random part keeps two keys made the same day apart.
const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`;
const publicJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: "EdDSA", use: "sig" };
const privateJwk = { ...publicJwk, d: jwk.d };

console.log("# CERT_SIGNING_KEY (secret: paste this line into `wrangler secret put`):");
console.log(JSON.stringify(privateJwk));
console.log("");
console.log("# Public JWK: at the NEXT rotation, append it to CERT_PREVIOUS_KEYS (a JSON array):");
console.log(JSON.stringify(publicJwk));
