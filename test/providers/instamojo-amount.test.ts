/** Paise <-> Instamojo's rupee strings, exactly. */
import { describe, expect, it } from "vitest";
import { paiseToRupees, parseRupees, rupeesToPaise } from "../../src/providers/instamojo";

describe("paiseToRupees", () => {
  it.each([
    [0, "0.00"],
    [5, "0.05"],
    [50, "0.50"],
    [900, "9.00"],
    [49_900, "499.00"],
    [49_950, "499.50"],
    [20_000_000, "200000.00"],
    [Number.MAX_SAFE_INTEGER, "90071992547409.91"],
  ])("%d paise → %s", (paise, text) => {
    expect(paiseToRupees(paise)).toBe(text);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])(
    "refuses %s",
    (paise) => {
      expect(() => paiseToRupees(paise)).toThrow(TypeError);
    },
  );
});

describe("parseRupees", () => {
  it.each<[unknown, number]>([
    ["499.00", 49_900],
    ["499", 49_900],
    ["499.5", 49_950],
    ["499.50", 49_950],
    ["499.500", 49_950],
    ["0.01", 1],
    ["0", 0],
    ["200000.00", 20_000_000],
    [499, 49_900],
    [499.5, 49_950],
    [0.1, 10],
    // 1.15 * 100 is 114.99999999999999 in floats; the text "1.15" is 115 paise.
    [1.15, 115],
    ["1.15", 115],
    ["19.99", 1999],
  ])("%j → %d paise", (value, paise) => {
    expect(parseRupees(value)).toBe(paise);
    if (typeof value === "string" || typeof value === "number") {
      expect(rupeesToPaise(value)).toBe(paise);
    }
  });

  it.each<unknown>([
    "-1.00",
    -1,
    "499.555",
    0.1 + 0.2,
    "1e3",
    1e21,
    "",
    " 499",
    "499 ",
    "₹499",
    "499,00",
    "4,99.00",
    ".50",
    "499.",
    "0x1F",
    "NaN",
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    true,
    {},
    ["499"],
    "99999999999999999.00",
  ])("refuses %j", (value) => {
    expect(parseRupees(value)).toBeNull();
    if (typeof value === "string" || typeof value === "number") {
      expect(() => rupeesToPaise(value)).toThrow(TypeError);
    }
  });

  it("round-trips every paise amount up to ₹2,00,000 that a checkout can carry (sampled)", () => {
    for (let paise = 0; paise <= 20_000_000; paise += 9_973) {
      expect(parseRupees(paiseToRupees(paise))).toBe(paise);
    }
  });
});
