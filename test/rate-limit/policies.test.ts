import { describe, expect, it } from "vitest";
import {
  defaultPolicies,
  PolicyConfigError,
  resolvePolicies,
} from "../../src/lib/rate-limit/policies";

describe("resolvePolicies", () => {
  it("returns the documented defaults without configuration", () => {
    expect(resolvePolicies(undefined)).toBe(defaultPolicies);
    expect(resolvePolicies("  ")).toBe(defaultPolicies);
    const modes = Object.fromEntries(
      Object.values(defaultPolicies).map((p) => [p.name, p.failureMode]),
    );
    // Only general traffic and cheap reads fail open; credentials, money and public writes close.
    expect(modes).toEqual({
      api: "open",
      auth: "closed",
      login: "closed",
      "login-failures": "closed",
      signup: "closed",
      recovery: "closed",
      email: "closed",
      session: "closed",
      "session-token": "closed",
      upload: "closed",
      payment: "closed",
      strict: "closed",
      health: "open",
      catalogue: "open",
      // Only signed deliveries reach it: a limiter outage must not turn Zoom's events away.
      webhook: "open",
    });
  });

  it("merges per-environment overrides field by field", () => {
    const policies = resolvePolicies(
      '{"auth":{"limit":20,"algorithm":"gcra"},"api":{"failureMode":"closed"}}',
    );
    expect(policies.auth).toEqual({ ...defaultPolicies.auth, limit: 20, algorithm: "gcra" });
    expect(policies.api.failureMode).toBe("closed");
    expect(policies.payment).toEqual(defaultPolicies.payment);
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["an unknown policy", '{"global":{"limit":1}}', /global/],
    ["an unknown field", '{"api":{"burst":1}}', /burst/],
    ["a negative limit", '{"api":{"limit":-1}}', /api\.limit/],
    ["a zero window", '{"api":{"windowMs":0}}', /api\.windowMs/],
  ])("rejects %s", (_label, json, message) => {
    expect(() => resolvePolicies(json)).toThrow(PolicyConfigError);
    expect(() => resolvePolicies(json)).toThrow(message);
  });
});
