import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable-objects/rate-limiter";
import { AppError } from "../../src/lib/errors";
import { DurableObjectRateLimitClient } from "../../src/lib/rate-limit/client";
import {
  extraKeyIdentity,
  getKeyState,
  objectKeyOf,
  resetKey,
  setKeyOverride,
} from "../../src/lib/rate-limit/ops";
import { defaultPolicies } from "../../src/lib/rate-limit/policies";
import type { Limit } from "../../src/lib/rate-limit/types";

const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
const policy = { ...defaultPolicies.strict, limit: 3 };
const limits: Limit[] = [
  { name: "strict", algorithm: "sliding-window", limit: 3, windowMs: 60_000 },
];

function setup() {
  const identity = `ip:${crypto.randomUUID()}`;
  const client = new DurableObjectRateLimitClient(ns, { cache: null });
  const check = () => client.check(objectKeyOf("strict", identity), limits);
  return { identity, check, ref: { namespace: ns, policy, identity } };
}

describe("rate-limit ops", () => {
  beforeAll(async () => {
    await ns.get(ns.idFromName("warm-up")).ping();
  });

  it("reads a key's state and resets it", async () => {
    const { check, ref } = setup();
    for (let i = 0; i < 3; i++) await check();
    expect((await check()).allowed).toBe(false);
    const state = await getKeyState(ref);
    expect(state).toMatchObject({ policy: "strict", identity: ref.identity, override: null });
    expect(state.limits.map((l) => [l.name, Math.round(l.used)])).toEqual([["strict", 3]]);
    expect(await resetKey(ref)).toEqual({ deleted: 1 });
    expect((await check()).allowed).toBe(true);
  });

  it("raises, lowers, blocks and clears an identity's limit", async () => {
    const { check, ref } = setup();
    const raised = await setKeyOverride({ ...ref, input: { action: "raise", limit: 5 } });
    expect(raised.override).toMatchObject({ limit: 5 });
    for (let i = 0; i < 5; i++) expect((await check()).allowed).toBe(true);
    expect((await check()).allowed).toBe(false);

    await resetKey(ref);
    await setKeyOverride({ ...ref, input: { action: "lower", limit: 1 } });
    expect((await check()).allowed).toBe(true);
    expect((await check()).allowed).toBe(false);

    await resetKey(ref);
    const until = Date.now() + 60_000;
    await setKeyOverride({ ...ref, input: { action: "block", until } });
    const blocked = await check();
    expect(blocked.allowed).toBe(false);
    expect(blocked.limits[0]?.retryAfterMs).toBeGreaterThan(55_000);
    expect((await getKeyState(ref)).override).toEqual({ blockedUntil: until, expiresAt: until });

    expect((await setKeyOverride({ ...ref, input: { action: "clear" } })).override).toBeNull();
    expect((await check()).allowed).toBe(true);
  });

  it.each([
    ["raise to below the policy", { action: "raise", limit: 2 } as const, "limit"],
    ["lower to above the policy", { action: "lower", limit: 9 } as const, "limit"],
    ["block until the past", { action: "block", until: Date.now() - 1 } as const, "until"],
  ])("rejects %s", async (_label, input, path) => {
    const { ref } = setup();
    const error = await setKeyOverride({ ...ref, input }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path }] });
  });

  it("names a second key the way the middleware does", async () => {
    const a = await extraKeyIdentity("account", " Someone@Example.test ");
    expect(a).toBe(await extraKeyIdentity("account", "someone@example.test"));
    expect(a).toMatch(/^account:[0-9a-f]{32}$/);
  });
});
