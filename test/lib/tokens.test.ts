import { describe, expect, it } from "vitest";
import {
  bytesEqual,
  fromBase64,
  generateOpaqueToken,
  hashToken,
  timingSafeEqual,
  toBase64,
} from "../../src/lib/tokens";

describe("generateOpaqueToken", () => {
  it("gives 256 bits as unpadded base64url by default", () => {
    const token = generateOpaqueToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("never repeats", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateOpaqueToken()));
    expect(tokens.size).toBe(1000);
  });

  it("accepts larger sizes and refuses anything under 256 bits", () => {
    expect(generateOpaqueToken(48)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    for (const bytes of [0, 16, 31, 32.5, 2048]) {
      expect(() => generateOpaqueToken(bytes), String(bytes)).toThrow(RangeError);
    }
  });
});

describe("hashToken", () => {
  it("is hex SHA-256 of the UTF-8 bytes", async () => {
    expect(await hashToken("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await hashToken("")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("differs for different tokens and never returns the token", async () => {
    const token = generateOpaqueToken();
    const hash = await hashToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token);
    expect(await hashToken(`${token}x`)).not.toBe(hash);
  });
});

describe("timingSafeEqual", () => {
  it.for([
    ["equal", "same-value", "same-value", true],
    ["both empty", "", "", true],
    ["unicode equal", "पासवर्ड🔑", "पासवर्ड🔑", true],
    ["last char differs", "abcdef", "abcdeg", false],
    ["first char differs", "xbcdef", "abcdef", false],
    ["prefix", "abc", "abcdef", false],
    ["longer", "abcdef", "abc", false],
    ["one empty", "", "a", false],
    ["case", "ABC", "abc", false],
  ] as const)("%s → %s", ([, a, b, expected]) => {
    expect(timingSafeEqual(a, b)).toBe(expected);
  });

  it("compares bytes, not UTF-16 units", () => {
    expect(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});

describe("base64 helpers", () => {
  it("round-trips and rejects non-canonical input", () => {
    const bytes = Uint8Array.from({ length: 33 }, (_, i) => (i * 37) % 256);
    const text = toBase64(bytes);
    expect(text).not.toContain("=");
    expect(fromBase64(text)).toEqual(bytes);
    expect(toBase64(new Uint8Array([251, 255]), { url: true })).toBe("-_8");
    for (const bad of ["ab cd", "abc=", "-_8", "a", "ab\n"]) {
      expect(fromBase64(bad), bad).toBeNull();
    }
  });
});
