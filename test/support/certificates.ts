/**
 * What a staging/production config needs for certificates, for tests that check a deployed
 * config has no problems. The key stands in for a real one from `npm run certs:keygen` (the
 * committed dev and test keys are refused there).
 */
export const DEPLOYED_CERT_CONFIG = {
  CERT_SIGNING_KEY: JSON.stringify({
    kty: "OKP",
    crv: "Ed25519",
    x: "DCQ3oqZriFD3bpUSG5xLsNxfhspoHA0Sv5LVTh7cqcE",
    d: "equ9P5z2aXXayD43oJS9kN3iIa-VEjzI4gskbK64RTk",
    kid: "deployed-fixture-2026-12-02",
    alg: "EdDSA",
    use: "sig",
  }),
  CERT_SUBJECT_SALT: "deployed-fixture-subject-salt-0123",
  PUBLIC_VERIFY_BASE_URL: "https://api.example.in",
};
