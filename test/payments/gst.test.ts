import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ComputeGstInput,
  computeGst,
  creditNoteGst,
  formatHalfRateBps,
  formatPaise,
  formatPaisePlain,
  formatRateBps,
  type GstBreakdown,
  INDIAN_STATES,
  isStateCode,
  type StateCode,
  stateCodeSchema,
  stateName,
  stateOfGstin,
} from "../../src/domains/payments/service/gst";

/** Fixed so a failure reproduces; fast-check prints the counterexample and this seed. */
const SEED = 20_261_202;
const KA: StateCode = "29";
const MH: StateCode = "27";

const intra = (amountPaise: number, inclusive = true, rateBps = 1800) =>
  computeGst({ amountPaise, rateBps, inclusive, supplierState: KA, buyerState: KA });

const partsSum = (g: GstBreakdown) => g.taxablePaise + g.cgstPaise + g.sgstPaise + g.igstPaise;

const parts = (g: GstBreakdown) => ({
  taxablePaise: g.taxablePaise,
  cgstPaise: g.cgstPaise,
  sgstPaise: g.sgstPaise,
  igstPaise: g.igstPaise,
  totalPaise: g.totalPaise,
});

describe("state codes", () => {
  it("holds the GST list: unique two-digit codes, 01 to 38 and 97", () => {
    expect(INDIAN_STATES.length).toBeGreaterThanOrEqual(36);
    const codes = INDIAN_STATES.map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^\d{2}$/);
    expect(codes[0]).toBe("01");
    expect(codes).toContain("38");
    expect(codes).toContain("97");
    // Retired codes are not places of supply for new invoices.
    expect(codes).not.toContain("25");
    expect(codes).not.toContain("28");
  });

  it.each([
    ["01", "Jammu and Kashmir"],
    ["07", "Delhi"],
    ["27", "Maharashtra"],
    ["29", "Karnataka"],
    ["36", "Telangana"],
    ["37", "Andhra Pradesh"],
    ["38", "Ladakh"],
    ["97", "Other Territory"],
  ] as const)("%s is %s", (code, name) => {
    expect(stateName(code)).toBe(name);
  });

  it("validates codes with the zod enum", () => {
    expect(stateCodeSchema.parse("29")).toBe("29");
    for (const bad of ["29 ", "9", "00", "25", "28", "99", 29, null]) {
      expect(stateCodeSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
    expect(isStateCode("33")).toBe(true);
    expect(isStateCode("40")).toBe(false);
  });

  it("reads the state from a GSTIN's first two digits", () => {
    expect(stateOfGstin("29AABCD1234E1Z5")).toBe("29");
    expect(stateOfGstin("27aabcd1234e1z5")).toBe("27");
    expect(() => stateOfGstin("not-a-gstin")).toThrow(RangeError);
    expect(() => stateOfGstin("99AABCD1234E1Z5")).toThrow(RangeError);
  });
});

describe("computeGst: rounding", () => {
  it("₹499 inclusive of 18% within the state: 422.88 + 38.06 + 38.06", () => {
    expect(intra(49_900)).toEqual({
      taxablePaise: 42_288,
      cgstPaise: 3_806,
      sgstPaise: 3_806,
      igstPaise: 0,
      totalPaise: 49_900,
      rateBps: 1800,
      placeOfSupply: KA,
      interState: false,
    });
  });

  it("₹1 inclusive: 100 / 1.18 = 84.75… rounds to 85, tax 15 split 8 + 7 (CGST takes the odd paisa)", () => {
    expect(parts(intra(100))).toEqual({
      taxablePaise: 85,
      cgstPaise: 8,
      sgstPaise: 7,
      igstPaise: 0,
      totalPaise: 100,
    });
  });

  it("rounds halves up: exact quotients stay, halves go up (inclusive and exclusive)", () => {
    expect(parts(intra(59))).toMatchObject({ taxablePaise: 50, cgstPaise: 5, sgstPaise: 4 });
    // 3 × 10000 / 12000 = 2.5 exactly: half rounds up, so taxable 3 and no tax.
    expect(parts(intra(3, true, 2000))).toMatchObject({ taxablePaise: 3, cgstPaise: 0 });
    // Exclusive: 25 × 1800 / 10000 = 4.5 → 5.
    expect(parts(intra(25, false))).toMatchObject({ taxablePaise: 25, cgstPaise: 3, sgstPaise: 2 });
  });

  it("odd tax: CGST is at most one paisa more than SGST, never less", () => {
    for (let amount = 0; amount <= 5_000; amount++) {
      const g = intra(amount);
      const diff = g.cgstPaise - g.sgstPaise;
      expect(diff === 0 || diff === 1, `amount ${amount}`).toBe(true);
    }
  });

  it("exclusive prices add the tax on top", () => {
    expect(parts(intra(49_900, false))).toEqual({
      taxablePaise: 49_900,
      cgstPaise: 4_491,
      sgstPaise: 4_491,
      igstPaise: 0,
      totalPaise: 58_882,
    });
    // 333 × 0.18 = 59.94 → 60.
    expect(parts(intra(333, false))).toMatchObject({
      cgstPaise: 30,
      sgstPaise: 30,
      totalPaise: 393,
    });
  });

  it("a zero rate or zero amount gives no tax", () => {
    expect(parts(intra(49_900, true, 0))).toMatchObject({ taxablePaise: 49_900, cgstPaise: 0 });
    expect(parts(intra(0))).toEqual({
      taxablePaise: 0,
      cgstPaise: 0,
      sgstPaise: 0,
      igstPaise: 0,
      totalPaise: 0,
    });
  });

  it.each([
    ["fractional amount", { amountPaise: 10.5 }],
    ["negative amount", { amountPaise: -1 }],
    ["NaN amount", { amountPaise: Number.NaN }],
    ["unsafe amount", { amountPaise: 2 ** 60 }],
    ["fractional rate", { rateBps: 1800.5 }],
    ["negative rate", { rateBps: -1 }],
    ["retired buyer state code", { buyerState: "25" as StateCode }],
    ["unknown supplier state code", { supplierState: "99" as StateCode }],
  ] as const)("throws RangeError on a %s", (_, override) => {
    const input: ComputeGstInput = {
      amountPaise: 100,
      rateBps: 1800,
      inclusive: true,
      supplierState: KA,
      buyerState: null,
      ...override,
    };
    expect(() => computeGst(input)).toThrow(RangeError);
  });

  it("throws when an exclusive total leaves the safe integer range", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(() => intra(max, false)).toThrow(RangeError);
    expect(intra(max, true).totalPaise).toBe(max);
  });
});

describe("computeGst: place of supply", () => {
  it("same state: CGST + SGST, half the rate each", () => {
    const g = computeGst({
      amountPaise: 118_00,
      rateBps: 1800,
      inclusive: true,
      supplierState: KA,
      buyerState: KA,
    });
    expect(g).toMatchObject({
      placeOfSupply: KA,
      interState: false,
      cgstPaise: 900,
      sgstPaise: 900,
    });
    expect(g.igstPaise).toBe(0);
  });

  it("another state: IGST at the full rate", () => {
    const g = computeGst({
      amountPaise: 118_00,
      rateBps: 1800,
      inclusive: true,
      supplierState: KA,
      buyerState: MH,
    });
    expect(g).toMatchObject({
      placeOfSupply: MH,
      interState: true,
      taxablePaise: 100_00,
      cgstPaise: 0,
      sgstPaise: 0,
      igstPaise: 18_00,
    });
  });

  it("no buyer state (B2C without an address): the supplier's state, so intra-state", () => {
    const g = computeGst({
      amountPaise: 49_900,
      rateBps: 1800,
      inclusive: true,
      supplierState: MH,
      buyerState: null,
    });
    expect(g).toMatchObject({ placeOfSupply: MH, interState: false, cgstPaise: 3806 });
  });

  it("the total tax does not depend on the place of supply", () => {
    for (const amount of [1, 99, 49_900, 1_234_567]) {
      const a = intra(amount);
      const b = computeGst({
        amountPaise: amount,
        rateBps: 1800,
        inclusive: true,
        supplierState: KA,
        buyerState: MH,
      });
      expect(b.igstPaise).toBe(a.cgstPaise + a.sgstPaise);
      expect(b.taxablePaise).toBe(a.taxablePaise);
    }
  });
});

const stateArb = fc.constantFrom(...INDIAN_STATES.map((s) => s.code));
const inputArb = fc.record({
  amountPaise: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 10 ** 12 })),
  rateBps: fc.oneof(fc.constantFrom(0, 500, 1200, 1800, 2800), fc.integer({ min: 0, max: 10_000 })),
  inclusive: fc.boolean(),
  supplierState: stateArb,
  buyerState: fc.option(stateArb, { nil: null }),
});

describe("computeGst: invariants over random inputs", () => {
  it("the parts always add up to the total, and each is a non-negative integer", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const g = computeGst(input);
        expect(partsSum(g)).toBe(g.totalPaise);
        for (const v of Object.values(parts(g))) {
          expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
        }
        if (input.inclusive) expect(g.totalPaise).toBe(input.amountPaise);
        else expect(g.taxablePaise).toBe(input.amountPaise);
        if (g.interState) expect(g.cgstPaise + g.sgstPaise).toBe(0);
        else {
          expect(g.igstPaise).toBe(0);
          expect([0, 1]).toContain(g.cgstPaise - g.sgstPaise);
        }
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it("inclusive tax is within half a paisa of taxable × rate (rounding, not drift)", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const g = computeGst({ ...input, inclusive: true });
        const tax = BigInt(g.totalPaise - g.taxablePaise);
        // |tax × 10000 − taxable × rate| ≤ (10000 + rate) / 2, i.e. the taxable value was rounded once.
        const err = tax * 10000n - BigInt(g.taxablePaise) * BigInt(input.rateBps);
        const bound = BigInt(10_000 + input.rateBps);
        expect(2n * (err < 0n ? -err : err) <= bound).toBe(true);
      }),
      { seed: SEED + 1, numRuns: 2_000 },
    );
  });
});

describe("creditNoteGst", () => {
  const invoice = intra(49_900);
  const interInvoice = computeGst({
    amountPaise: 49_900,
    rateBps: 1800,
    inclusive: true,
    supplierState: KA,
    buyerState: MH,
  });

  it("a full refund reverses exactly the invoice's parts", () => {
    expect(creditNoteGst(invoice, 49_900)).toEqual(invoice);
    expect(creditNoteGst(interInvoice, 49_900)).toEqual(interInvoice);
  });

  it("a partial refund is proportional, keeps the place of supply and rate, and adds up", () => {
    const note = creditNoteGst(invoice, 24_950);
    expect(note).toEqual({
      taxablePaise: 21_144,
      cgstPaise: 1_903,
      sgstPaise: 1_903,
      igstPaise: 0,
      totalPaise: 24_950,
      rateBps: 1800,
      placeOfSupply: KA,
      interState: false,
    });
    const inter = creditNoteGst(interInvoice, 10_000);
    expect(inter).toMatchObject({
      placeOfSupply: MH,
      interState: true,
      cgstPaise: 0,
      sgstPaise: 0,
    });
    expect(partsSum(inter)).toBe(10_000);
  });

  it("the rest after a partial refund credits exactly what is left", () => {
    const first = creditNoteGst(invoice, 100);
    const rest = creditNoteGst(invoice, 49_800, 100);
    for (const key of ["taxablePaise", "cgstPaise", "sgstPaise", "igstPaise"] as const) {
      expect(first[key] + rest[key], key).toBe(invoice[key]);
    }
  });

  it("refunding paisa by paisa never credits more tax than was invoiced, and ends exactly on it", () => {
    const small = intra(1_001);
    const credited = { taxablePaise: 0, cgstPaise: 0, sgstPaise: 0, igstPaise: 0 };
    for (let done = 0; done < small.totalPaise; done++) {
      const note = creditNoteGst(small, 1, done);
      for (const key of Object.keys(credited) as (keyof typeof credited)[]) {
        expect(note[key]).toBeGreaterThanOrEqual(0);
        credited[key] += note[key];
        expect(credited[key]).toBeLessThanOrEqual(small[key]);
      }
    }
    expect(credited).toEqual({
      taxablePaise: small.taxablePaise,
      cgstPaise: small.cgstPaise,
      sgstPaise: small.sgstPaise,
      igstPaise: small.igstPaise,
    });
  });

  it("any split of the total into refunds sums to the original parts (random invoices and splits)", () => {
    const splitArb = inputArb
      .filter((i) => i.amountPaise > 0)
      .chain((input) => {
        const g = computeGst(input);
        return fc.record({
          input: fc.constant(input),
          cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, g.totalPaise - 1) }), {
            maxLength: 8,
          }),
        });
      });
    fc.assert(
      fc.property(splitArb, ({ input, cuts }) => {
        const original = computeGst(input);
        const points = [...new Set([0, ...cuts.filter((c) => c < original.totalPaise)])].sort(
          (a, b) => a - b,
        );
        points.push(original.totalPaise);
        const sum = { taxablePaise: 0, cgstPaise: 0, sgstPaise: 0, igstPaise: 0, totalPaise: 0 };
        for (let i = 1; i < points.length; i++) {
          const before = points[i - 1] ?? 0;
          const refund = (points[i] ?? 0) - before;
          const note = creditNoteGst(original, refund, before);
          expect(partsSum(note)).toBe(refund);
          expect(note.placeOfSupply).toBe(original.placeOfSupply);
          expect(note.interState).toBe(original.interState);
          for (const key of Object.keys(sum) as (keyof typeof sum)[]) {
            expect(note[key]).toBeGreaterThanOrEqual(0);
            sum[key] += note[key];
            expect(sum[key]).toBeLessThanOrEqual(original[key]);
          }
        }
        expect(sum).toEqual(parts(original));
      }),
      { seed: SEED + 2, numRuns: 1_000 },
    );
  });

  it.each([
    ["a zero refund", 0, 0],
    ["a negative refund", -1, 0],
    ["a fractional refund", 1.5, 0],
    ["more than the total", 49_901, 0],
    ["more than what is left", 100, 49_850],
    ["a negative amount already refunded", 100, -1],
  ])("throws RangeError on %s", (_, refund, already) => {
    expect(() => creditNoteGst(invoice, refund, already)).toThrow(RangeError);
  });

  it("refuses an original whose parts do not add up", () => {
    expect(() => creditNoteGst({ ...invoice, cgstPaise: invoice.cgstPaise + 1 }, 100)).toThrow(
      RangeError,
    );
    expect(() => creditNoteGst({ ...invoice, interState: true }, 100)).toThrow(RangeError);
  });
});

describe("formatting", () => {
  it.each([
    [0, "₹0.00", "Rs. 0.00"],
    [5, "₹0.05", "Rs. 0.05"],
    [100, "₹1.00", "Rs. 1.00"],
    [123_450, "₹1,234.50", "Rs. 1,234.50"],
    [12_345_600, "₹1,23,456.00", "Rs. 1,23,456.00"],
    [123_456_789, "₹12,34,567.89", "Rs. 12,34,567.89"],
    [1_234_567_800, "₹1,23,45,678.00", "Rs. 1,23,45,678.00"],
    [-49_900, "-₹499.00", "-Rs. 499.00"],
  ])("%i paise is %s", (paise, rupee, plain) => {
    expect(formatPaise(paise)).toBe(rupee);
    expect(formatPaisePlain(paise)).toBe(plain);
  });

  it("refuses fractional paise", () => {
    expect(() => formatPaise(1.5)).toThrow(RangeError);
  });

  it("formats rates without float noise", () => {
    expect(formatRateBps(1800)).toBe("18%");
    expect(formatRateBps(250)).toBe("2.5%");
    expect(formatRateBps(5)).toBe("0.05%");
    expect(formatHalfRateBps(1800)).toBe("9%");
    expect(formatHalfRateBps(500)).toBe("2.5%");
    expect(formatHalfRateBps(1801)).toBe("9.005%");
  });
});
