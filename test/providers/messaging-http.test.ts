/** The shared transport rules: Retry-After parsing and clamping, secrets kept out of errors. */
import { describe, expect, it } from "vitest";
import {
  MAX_RETRY_AFTER_SECONDS,
  parseRetryAfterSeconds,
  redact,
  retryAfterFromHeaders,
  safeDetail,
} from "../../src/providers/messaging/http";

const NOW = Date.parse("2026-12-01T10:00:00Z");

describe("parseRetryAfterSeconds", () => {
  it.each([
    ["7", 7],
    [" 120 ", 120],
    ["1.5", 2],
    ["0", 1],
    [String(10 * 24 * 3600), MAX_RETRY_AFTER_SECONDS],
    ["Tue, 01 Dec 2026 10:00:30 GMT", 30],
    ["Tue, 01 Dec 2026 09:59:00 GMT", 1],
    ["2026-12-01T10:05:00Z", 300],
  ] as const)("%s → %i s", (value, expected) => {
    expect(parseRetryAfterSeconds(value, NOW)).toBe(expected);
  });

  it.each([[null], [undefined], [""], ["soon"], ["-5"], ["12abc"]])("%s → undefined", (value) => {
    expect(parseRetryAfterSeconds(value, NOW)).toBeUndefined();
  });

  it("reads Retry-After in any case, else ratelimit-reset", () => {
    expect(retryAfterFromHeaders(new Headers({ "Retry-After": "9" }), NOW)).toBe(9);
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "9" }), NOW)).toBe(9);
    expect(retryAfterFromHeaders(new Headers({ "ratelimit-reset": "4" }), NOW)).toBe(4);
    expect(retryAfterFromHeaders(new Headers(), NOW)).toBeUndefined();
  });
});

describe("secrets stay out of stored errors", () => {
  it("redact replaces secrets and any Bearer/Basic credential", () => {
    expect(redact("key re_abc123 used; Authorization: Bearer xyz.987", ["re_abc123"])).toBe(
      "key [redacted] used; Authorization: Bearer [redacted]",
    );
    expect(redact("Basic QUM6dG9rZW4=", [])).toBe("Basic [redacted]");
  });

  it("safeDetail cuts long text, strips control characters, and redacts", () => {
    const detail = safeDetail(`bad\u0000\nline tok_SECRET ${"x".repeat(300)}`, ["tok_SECRET"]);
    expect(detail).not.toContain("tok_SECRET");
    expect([...detail].every((c) => c.charCodeAt(0) >= 0x20)).toBe(true);
    expect(detail.length).toBeLessThanOrEqual(201);
    expect(safeDetail(42, [])).toBe("");
  });
});
