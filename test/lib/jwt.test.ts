import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  type AccessTokenFailure,
  type AccessTokenInput,
  type SignAccessTokenOptions,
  signAccessToken,
  verifyAccessToken,
} from "../../src/lib/jwt";

const SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const opts: SignAccessTokenOptions = {
  secret: SECRET,
  issuer: "https://api.example.in",
  audience: "coaching-app",
  ttlSeconds: 900,
  now: () => T0,
};
const input: AccessTokenInput = { sub: "usr_123", role: "student", sid: "ses_456", ver: 3 };
const at = (ms: number) => ({ ...opts, now: () => ms });
const key = new TextEncoder().encode(SECRET);

const b64url = (v: unknown) =>
  btoa(JSON.stringify(v)).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");

/** A token signed with the right secret but built by hand, to vary one thing at a time. */
function forge(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  alg: "HS256" | "HS512" = "HS256",
) {
  return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
}

const goodClaims = () => ({
  sub: "usr_123",
  role: "student",
  sid: "ses_456",
  ver: 3,
  iss: opts.issuer,
  aud: opts.audience,
  jti: crypto.randomUUID(),
  iat: Math.floor(T0 / 1000),
  exp: Math.floor(T0 / 1000) + 900,
});

describe("access tokens", () => {
  it("a fresh token verifies and carries its claims", async () => {
    const token = await signAccessToken(input, opts);
    const [header] = token.split(".");
    expect(JSON.parse(atob(header ?? ""))).toEqual({ alg: "HS256", typ: "at+jwt" });
    const result = await verifyAccessToken(token, at(T0 + 60_000));
    expect(result).toEqual({
      ok: true,
      claims: {
        ...input,
        iss: opts.issuer,
        aud: opts.audience,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iat: T0 / 1000,
        exp: T0 / 1000 + 900,
      },
    });
  });

  it("each token gets its own jti", async () => {
    const a = await verifyAccessToken(await signAccessToken(input, opts), opts);
    const b = await verifyAccessToken(await signAccessToken(input, opts), opts);
    expect(a.ok && b.ok && a.claims.jti !== b.claims.jti).toBe(true);
  });

  it("expires at exp, with 5 s of tolerance for clock skew", async () => {
    const token = await signAccessToken(input, { ...opts, ttlSeconds: 300 });
    expect((await verifyAccessToken(token, at(T0 + 299_000))).ok).toBe(true);
    expect((await verifyAccessToken(token, at(T0 + 304_000))).ok).toBe(true);
    expect(await verifyAccessToken(token, at(T0 + 305_000))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("a token from a clock a few seconds ahead is accepted, a minute ahead is not", async () => {
    const ahead = await signAccessToken(input, at(T0 + 4_000));
    expect((await verifyAccessToken(ahead, opts)).ok).toBe(true);
    const farAhead = await signAccessToken(input, at(T0 + 60_000));
    expect(await verifyAccessToken(farAhead, opts)).toEqual({ ok: false, reason: "not_yet_valid" });
  });

  it("a correctly signed token with a longer lifetime still dies after 15 minutes", async () => {
    const token = await forge({ typ: "at+jwt" }, { ...goodClaims(), exp: T0 / 1000 + 86_400 });
    expect((await verifyAccessToken(token, at(T0 + 901_000))).ok).toBe(false);
  });

  it("refuses a lifetime over 15 minutes, a weak secret and bad claims when signing", async () => {
    await expect(signAccessToken(input, { ...opts, ttlSeconds: 901 })).rejects.toThrow(RangeError);
    await expect(signAccessToken(input, { ...opts, ttlSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(signAccessToken(input, { ...opts, secret: "short" })).rejects.toThrow(RangeError);
    const badRole = { ...input, role: "root" } as unknown as AccessTokenInput;
    await expect(signAccessToken(badRole, opts)).rejects.toThrow(TypeError);
  });

  it("tokens issued in the future are refused", async () => {
    const token = await signAccessToken(input, at(T0 + 600_000));
    expect(await verifyAccessToken(token, opts)).toEqual({ ok: false, reason: "not_yet_valid" });
  });

  const refused: [name: string, make: () => Promise<string>, reason: AccessTokenFailure][] = [
    [
      "alg none",
      async () => `${b64url({ alg: "none", typ: "at+jwt" })}.${b64url(goodClaims())}.`,
      "wrong_algorithm",
    ],
    [
      "alg none with a signature",
      async () => {
        const real = await signAccessToken(input, opts);
        return `${b64url({ alg: "none", typ: "at+jwt" })}.${b64url(goodClaims())}.${real.split(".")[2]}`;
      },
      "wrong_algorithm",
    ],
    [
      "HS512 with the same secret",
      () => forge({ typ: "at+jwt" }, goodClaims(), "HS512"),
      "wrong_algorithm",
    ],
    [
      "RS256",
      async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return new SignJWT(goodClaims())
          .setProtectedHeader({ alg: "RS256", typ: "at+jwt" })
          .sign(privateKey);
      },
      "wrong_algorithm",
    ],
    [
      "HS256 signature under an RS256 header",
      async () => {
        const real = await signAccessToken(input, opts);
        const [, payload, sig] = real.split(".");
        return `${b64url({ alg: "RS256", typ: "at+jwt" })}.${payload}.${sig}`;
      },
      "wrong_algorithm",
    ],
    [
      "wrong audience",
      () => signAccessToken(input, { ...opts, audience: "other-app" }),
      "wrong_audience",
    ],
    [
      "wrong issuer",
      () => signAccessToken(input, { ...opts, issuer: "https://evil.example" }),
      "wrong_issuer",
    ],
    [
      "tampered payload (role → admin)",
      async () => {
        const [header, payload, sig] = (await signAccessToken(input, opts)).split(".");
        const claims = JSON.parse(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")));
        return `${header}.${b64url({ ...claims, role: "admin" })}.${sig}`;
      },
      "bad_signature",
    ],
    [
      "missing jti",
      () => {
        const { jti: _jti, ...claims } = goodClaims();
        return forge({ typ: "at+jwt" }, claims);
      },
      "missing_claim",
    ],
    [
      "missing exp",
      () => {
        const { exp: _exp, ...claims } = goodClaims();
        return forge({ typ: "at+jwt" }, claims);
      },
      "missing_claim",
    ],
    ["typ JWT", () => forge({ typ: "JWT" }, goodClaims()), "wrong_type"],
    ["typ refresh", () => forge({ typ: "refresh+jwt" }, goodClaims()), "wrong_type"],
    ["no typ", () => forge({}, goodClaims()), "wrong_type"],
    ["typ as a claim only", () => forge({}, { ...goodClaims(), typ: "at+jwt" }), "wrong_type"],
    [
      "wrong secret",
      () => signAccessToken(input, { ...opts, secret: `${SECRET}-other` }),
      "bad_signature",
    ],
    [
      "unknown role",
      () => forge({ typ: "at+jwt" }, { ...goodClaims(), role: "root" }),
      "invalid_claim",
    ],
    [
      "ver not a number",
      () => forge({ typ: "at+jwt" }, { ...goodClaims(), ver: "3" }),
      "invalid_claim",
    ],
    [
      "aud as a list",
      () => forge({ typ: "at+jwt" }, { ...goodClaims(), aud: [opts.audience, "x"] }),
      "invalid_claim",
    ],
    ["garbage", async () => "not.a.jwt", "malformed"],
    ["empty", async () => "", "malformed"],
    ["huge", async () => "a".repeat(10_000), "malformed"],
    [
      "a refresh-style opaque token",
      async () => "dGhpcyBpcyBub3QgYSBqd3QgYXQgYWxsIG5vIGRvdHM",
      "malformed",
    ],
  ];

  describe.each(refused)("%s", (_name, make, reason) => {
    it(`is refused (${reason})`, async () => {
      const token = await make();
      expect(await verifyAccessToken(token, opts)).toEqual({ ok: false, reason });
    });
  });

  it("a bad secret in configuration throws instead of verifying", async () => {
    const token = await signAccessToken(input, opts);
    await expect(verifyAccessToken(token, { ...opts, secret: "" })).rejects.toThrow(RangeError);
  });
});
