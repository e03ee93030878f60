/** Svix signatures (Resend webhooks): Svix's published example, rotation, staleness, tampering. */
import { describe, expect, it } from "vitest";
import { signSvix, verifySvix } from "../../src/providers/resend";

// Svix's documented verification example.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = "1614265330";
const BODY = '{"test": 2432232314}';
const SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const AT = Number(TS) * 1000;

const base = {
  id: ID,
  timestamp: TS,
  signatureHeader: SIG,
  rawBody: BODY,
  secret: SECRET,
  now: AT,
};

describe("verifySvix", () => {
  it("accepts Svix's published example, as a string, bytes or an ArrayBuffer", async () => {
    expect(await verifySvix(base)).toBe(true);
    const bytes = new TextEncoder().encode(BODY);
    expect(await verifySvix({ ...base, rawBody: bytes })).toBe(true);
    expect(await verifySvix({ ...base, rawBody: await new Response(BODY).arrayBuffer() })).toBe(
      true,
    );
  });

  it("signSvix reproduces it", async () => {
    expect(await signSvix({ id: ID, timestamp: TS, rawBody: BODY, secret: SECRET })).toBe(SIG);
  });

  it("accepts any one valid v1 among several (secret rotation), ignoring other versions", async () => {
    const header = `v1,${btoa("x".repeat(32))} v2,whatever ${SIG}`;
    expect(await verifySvix({ ...base, signatureHeader: header })).toBe(true);
  });

  it("accepts within the tolerance either side, refuses beyond it", async () => {
    expect(await verifySvix({ ...base, now: AT + 300_000 })).toBe(true);
    expect(await verifySvix({ ...base, now: AT - 300_000 })).toBe(true);
    expect(await verifySvix({ ...base, now: AT + 301_000 })).toBe(false); // stale
    expect(await verifySvix({ ...base, now: AT - 301_000 })).toBe(false); // from the future
    expect(await verifySvix({ ...base, now: AT + 3_000, toleranceSeconds: 2 })).toBe(false);
    expect(await verifySvix({ ...base, now: new Date(AT) })).toBe(true);
  });

  it.each([
    ["a tampered body", { rawBody: '{"test": 2432232315}' }],
    ["a body with one more space", { rawBody: '{"test":  2432232314}' }],
    ["another id", { id: "msg_other" }],
    ["another timestamp (re-signed clock)", { timestamp: "1614265331", now: AT + 1000 }],
    ["another secret", { secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
    ["a signature of another version only", { signatureHeader: SIG.replace("v1,", "v2,") }],
    ["a mangled signature", { signatureHeader: `${SIG.slice(0, -3)}A=` }],
    ["a signature that is not base64", { signatureHeader: "v1,***" }],
    ["a missing signature header", { signatureHeader: null }],
    ["a missing id", { id: null }],
    ["a missing timestamp", { timestamp: null }],
    ["a timestamp that is not a number", { timestamp: "1614265330.5" }],
    ["a secret that is not base64", { secret: "whsec_not base64!" }],
  ] as const)("refuses %s", async (_, change) => {
    expect(await verifySvix({ ...base, ...change })).toBe(false);
  });
});
