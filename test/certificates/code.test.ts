/** src/lib/certificates/code.ts: random codes whose check symbol catches every single typo. */
import { describe, expect, it } from "vitest";
import {
  CERTIFICATE_CODE_ALPHABET,
  CERTIFICATE_CODE_DATA_LENGTH,
  CERTIFICATE_CODE_DISPLAY_REGEX,
  CERTIFICATE_CODE_LENGTH,
  CERTIFICATE_CODE_RANDOM_BITS,
  CERTIFICATE_CODE_REGEX,
  formatCertificateCode,
  newCertificateCode,
  parseCertificateCode,
} from "../../src/lib/certificates/code";

const samples = Array.from({ length: 40 }, () => newCertificateCode());
const replaceAt = (s: string, i: number, ch: string) => s.slice(0, i) + ch + s.slice(i + 1);

describe("newCertificateCode", () => {
  it("10,000 codes: all parse, all distinct, all in the alphabet, every symbol at every position", () => {
    expect(CERTIFICATE_CODE_RANDOM_BITS).toBeGreaterThanOrEqual(128);
    expect(CERTIFICATE_CODE_LENGTH).toBe(27);
    const codes = Array.from({ length: 10_000 }, () => newCertificateCode());
    expect(new Set(codes).size).toBe(codes.length);
    const seen = Array.from({ length: CERTIFICATE_CODE_DATA_LENGTH }, () => new Set<string>());
    for (const code of codes) {
      expect(code).toMatch(CERTIFICATE_CODE_REGEX);
      expect(parseCertificateCode(code)).toEqual({
        ok: true,
        code,
        display: formatCertificateCode(code),
      });
      for (let i = 0; i < CERTIFICATE_CODE_DATA_LENGTH; i++) seen[i]?.add(code[i] ?? "");
    }
    // 5 random bits per data symbol: all 32 values turn up at each position.
    for (const symbols of seen) expect(symbols.size).toBe(32);
  });

  it("displays as hyphenated groups of 4 and 5, and the display form parses back", () => {
    for (const code of samples) {
      const display = formatCertificateCode(code);
      expect(display).toMatch(CERTIFICATE_CODE_DISPLAY_REGEX);
      expect(display.replaceAll("-", "")).toBe(code);
      expect(display.split("-").map((g) => g.length)).toEqual([4, 4, 4, 5, 5, 5]);
      expect(parseCertificateCode(display)).toMatchObject({ ok: true, code });
    }
  });
});

describe("parseCertificateCode", () => {
  it("every single-symbol substitution, at every position, fails the check", () => {
    let tried = 0;
    for (const code of samples) {
      for (let i = 0; i < CERTIFICATE_CODE_LENGTH; i++) {
        for (const ch of CERTIFICATE_CODE_ALPHABET) {
          if (ch === code[i]) continue;
          const typo = replaceAt(code, i, ch);
          const parsed = parseCertificateCode(typo);
          if (parsed.ok || parsed.reason !== "check_failed") {
            expect.fail(`${typo} (from ${code}, position ${i}) → ${JSON.stringify(parsed)}`);
          }
          tried++;
        }
      }
    }
    expect(tried).toBe(samples.length * CERTIFICATE_CODE_LENGTH * 31);
  });

  it("every transposition of two different symbols fails the check (adjacent or not)", () => {
    for (const code of samples) {
      for (let i = 0; i < CERTIFICATE_CODE_LENGTH; i++) {
        for (let j = i + 1; j < CERTIFICATE_CODE_LENGTH; j++) {
          const [a, b] = [code[i] ?? "", code[j] ?? ""];
          if (a === b) continue;
          const swapped = replaceAt(replaceAt(code, i, b), j, a);
          expect(parseCertificateCode(swapped), `${code} swap ${i},${j}`).toEqual({
            ok: false,
            reason: "check_failed",
          });
        }
      }
    }
  });

  it("reads what people type: lowercase, hyphens, spaces, I and L as 1, O as 0", () => {
    const code = samples.find((c) => /[10]/.test(c)) ?? samples[0] ?? "";
    const display = formatCertificateCode(code);
    const lookalike = display.replaceAll("1", "l").replaceAll("0", "O");
    for (const typed of [
      code.toLowerCase(),
      display,
      display.toLowerCase(),
      ` ${display.replaceAll("-", " ")} `,
      display.replaceAll("-", " - "),
      lookalike,
      lookalike.replaceAll("l", "I"),
      lookalike.toLowerCase(),
    ]) {
      expect(parseCertificateCode(typed), typed).toEqual({ ok: true, code, display });
    }
  });

  it("wrong length or a symbol outside the alphabet → malformed, not check_failed", () => {
    const code = samples[0] ?? "";
    const cases: Record<string, string> = {
      empty: "",
      "one symbol short": code.slice(0, -1),
      "one symbol long": `${code}0`,
      "26 data symbols without the check": code.slice(0, CERTIFICATE_CODE_DATA_LENGTH),
      "U (a Crockford check symbol only)": replaceAt(code, 5, "U"),
      "Crockford's mod-37 check symbol *": replaceAt(code, 26, "*"),
      "a $": replaceAt(code, 26, "$"),
      "a dot": replaceAt(code, 3, "."),
      "a non-ASCII digit": replaceAt(code, 3, "٣"),
      "absurdly long": "0".repeat(200),
    };
    for (const [label, input] of Object.entries(cases)) {
      expect(parseCertificateCode(input), label).toEqual({ ok: false, reason: "malformed" });
    }
  });
});
