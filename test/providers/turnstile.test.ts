/** Turnstile verification against the fake siteverify, and the offline dev verifier. */
import { describe, expect, it } from "vitest";
import {
  CloudflareTurnstileVerifier,
  createTurnstileVerifier,
  DevTurnstileVerifier,
  TURNSTILE_DUMMY_TOKEN,
  TURNSTILE_TEST_SECRETS,
} from "../../src/providers/turnstile";
import { testEnv } from "../support/env";

const env = testEnv as typeof testEnv & { TEST_FAKE_TURNSTILE_URL: string };
const URL_ = `${env.TEST_FAKE_TURNSTILE_URL}/turnstile/v0/siteverify`;
const verifier = (secret: string, timeoutMs?: number) =>
  new CloudflareTurnstileVerifier({ secret, url: URL_, timeoutMs });

describe("Cloudflare Turnstile verifier", () => {
  it("a passing secret → ok, and remoteip and idempotency_key are sent", async () => {
    const token = `tok-${crypto.randomUUID()}`;
    const result = await verifier(TURNSTILE_TEST_SECRETS.pass).verify({
      token,
      remoteIp: "203.0.113.7",
      idempotencyKey: "ik-1",
    });
    expect(result).toEqual({ ok: true });
    const sent = (await (
      await fetch(`${env.TEST_FAKE_TURNSTILE_URL}/__requests?response=${token}`)
    ).json()) as Record<string, string>[];
    expect(sent).toEqual([
      {
        secret: TURNSTILE_TEST_SECRETS.pass,
        response: token,
        remoteip: "203.0.113.7",
        idempotency_key: "ik-1",
      },
    ]);
  });

  it.each([
    ["the always-fail secret", TURNSTILE_TEST_SECRETS.fail, "invalid", ["invalid-input-response"]],
    ["the already-spent secret", TURNSTILE_TEST_SECRETS.spent, "invalid", ["timeout-or-duplicate"]],
    ["a wrong secret (ours to fix)", "0x4AAAAAAAwrong", "unavailable", ["invalid-input-secret"]],
    ["a 500 from siteverify", "fake-500-secret", "unavailable", ["http-500"]],
  ] as const)("%s → %s %j", async (_, secret, reason, codes) => {
    const result = await verifier(secret).verify({ token: "some-token" });
    expect(result).toEqual({ ok: false, reason, codes });
  });

  it("siteverify not answering → unavailable (timeout) after timeoutMs", async () => {
    const started = Date.now();
    const result = await verifier("fake-hang-secret", 300).verify({ token: "t" });
    expect(result).toEqual({ ok: false, reason: "unavailable", codes: ["timeout"] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("nothing listening → unavailable (network-error)", async () => {
    const result = await new CloudflareTurnstileVerifier({
      secret: TURNSTILE_TEST_SECRETS.pass,
      url: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}/turnstile/v0/siteverify`,
    }).verify({ token: "t" });
    expect(result).toEqual({ ok: false, reason: "unavailable", codes: ["network-error"] });
  });

  it("an empty or oversized token is invalid without asking Cloudflare", async () => {
    let asked = 0;
    const v = new CloudflareTurnstileVerifier({
      secret: TURNSTILE_TEST_SECRETS.pass,
      fetch: async () => {
        asked++;
        return Response.json({ success: true });
      },
    });
    expect(await v.verify({ token: "" })).toEqual({
      ok: false,
      reason: "invalid",
      codes: ["missing-input-response"],
    });
    expect(await v.verify({ token: "x".repeat(2049) })).toMatchObject({
      ok: false,
      reason: "invalid",
    });
    expect(asked).toBe(0);
  });

  it("a 200 that is not siteverify's answer → unavailable", async () => {
    const v = new CloudflareTurnstileVerifier({
      secret: TURNSTILE_TEST_SECRETS.pass,
      fetch: async () => new Response("<html>gateway</html>", { status: 200 }),
    });
    expect(await v.verify({ token: "t" })).toEqual({
      ok: false,
      reason: "unavailable",
      codes: ["bad-response"],
    });
  });
});

describe("dev Turnstile verifier", () => {
  it("accepts only Cloudflare's dummy token", async () => {
    const dev = new DevTurnstileVerifier();
    expect(await dev.verify({ token: TURNSTILE_DUMMY_TOKEN })).toEqual({ ok: true });
    expect(await dev.verify({ token: "XXXX.DUMMY.TOKEN.XXXY" })).toEqual({
      ok: false,
      reason: "invalid",
      codes: ["invalid-input-response"],
    });
    expect(await dev.verify({ token: "" })).toMatchObject({ ok: false, reason: "invalid" });
    expect(createTurnstileVerifier({ provider: "dev" })).toBeInstanceOf(DevTurnstileVerifier);
  });
});
