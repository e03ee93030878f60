/**
 * GST on a sale of online coaching (SAC 999293), in integer paise.
 *
 * Rounding rule: all amounts are integer paise and all arithmetic is BigInt; nothing passes
 * through floating point. "Round half up" means to the nearest paisa, halves away from zero
 * (amounts are never negative). With inclusive prices (the catalogue price is what the student
 * pays) taxable = round_half_up(amount × 10000 / (10000 + rateBps)) and tax = amount − taxable;
 * with exclusive prices tax = round_half_up(amount × rateBps / 10000) and total = amount + tax.
 * Within the supplier's state the tax is split CGST = ceil(tax / 2), SGST = floor(tax / 2): the
 * two halves add up to the tax exactly and, when the tax is an odd number of paise, CGST carries
 * the one extra paisa (never more than 1). Across states IGST = tax. The parts always add up:
 * taxable + CGST + SGST + IGST = total. A credit note is the difference between the invoice's
 * proportional breakdown after and before the refund (see `creditNoteGst`), so any sequence of
 * refunds that adds up to the invoice total reverses exactly the invoiced taxable value and tax.
 */
import * as z from "zod";

/**
 * GST state and union-territory codes (GSTN's list). The retired codes 25 (Daman and Diu, merged
 * into 26 in 2020) and 28 (Andhra Pradesh before 2014) are left out: no new invoice may name
 * them as a place of supply. 99 (Centre Jurisdiction) is an administrative code, not a place.
 */
export const INDIAN_STATES = [
  { code: "01", name: "Jammu and Kashmir" },
  { code: "02", name: "Himachal Pradesh" },
  { code: "03", name: "Punjab" },
  { code: "04", name: "Chandigarh" },
  { code: "05", name: "Uttarakhand" },
  { code: "06", name: "Haryana" },
  { code: "07", name: "Delhi" },
  { code: "08", name: "Rajasthan" },
  { code: "09", name: "Uttar Pradesh" },
  { code: "10", name: "Bihar" },
  { code: "11", name: "Sikkim" },
  { code: "12", name: "Arunachal Pradesh" },
  { code: "13", name: "Nagaland" },
  { code: "14", name: "Manipur" },
  { code: "15", name: "Mizoram" },
  { code: "16", name: "Tripura" },
  { code: "17", name: "Meghalaya" },
  { code: "18", name: "Assam" },
  { code: "19", name: "West Bengal" },
  { code: "20", name: "Jharkhand" },
  { code: "21", name: "Odisha" },
  { code: "22", name: "Chhattisgarh" },
  { code: "23", name: "Madhya Pradesh" },
  { code: "24", name: "Gujarat" },
  { code: "26", name: "Dadra and Nagar Haveli and Daman and Diu" },
  { code: "27", name: "Maharashtra" },
  { code: "29", name: "Karnataka" },
  { code: "30", name: "Goa" },
  { code: "31", name: "Lakshadweep" },
  { code: "32", name: "Kerala" },
  { code: "33", name: "Tamil Nadu" },
  { code: "34", name: "Puducherry" },
  { code: "35", name: "Andaman and Nicobar Islands" },
  { code: "36", name: "Telangana" },
  { code: "37", name: "Andhra Pradesh" },
  { code: "38", name: "Ladakh" },
  { code: "97", name: "Other Territory" },
] as const;

export type StateCode = (typeof INDIAN_STATES)[number]["code"];

const STATE_CODES = INDIAN_STATES.map((s) => s.code) as [StateCode, ...StateCode[]];
const STATE_NAMES = new Map<string, string>(INDIAN_STATES.map((s) => [s.code, s.name]));

export const stateCodeSchema = z.enum(STATE_CODES);

export function isStateCode(value: unknown): value is StateCode {
  return typeof value === "string" && STATE_NAMES.has(value);
}

export function stateName(code: StateCode): string {
  const name = STATE_NAMES.get(code);
  if (name === undefined) throw new RangeError(`unknown GST state code: ${String(code)}`);
  return name;
}

const GSTIN_PATTERN = /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/;

/** The state a GSTIN is registered in (its first two digits); RangeError if it is not a GSTIN. */
export function stateOfGstin(gstin: string): StateCode {
  const normalised = gstin.trim().toUpperCase();
  if (!GSTIN_PATTERN.test(normalised)) throw new RangeError("not a GSTIN");
  const code = normalised.slice(0, 2);
  if (!isStateCode(code)) throw new RangeError(`GSTIN names an unknown state code: ${code}`);
  return code;
}

export interface GstBreakdown {
  taxablePaise: number;
  cgstPaise: number;
  sgstPaise: number;
  igstPaise: number;
  totalPaise: number;
  rateBps: number;
  placeOfSupply: StateCode;
  interState: boolean;
}

export interface ComputeGstInput {
  amountPaise: number;
  rateBps: number;
  /** true: `amountPaise` already includes GST (it is the total); false: GST is added on top. */
  inclusive: boolean;
  supplierState: StateCode;
  /** The recipient's state on record; null (B2C, no address) means the supplier's state. */
  buyerState: StateCode | null;
}

function requireNonNegativeInteger(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
  return BigInt(value);
}

function toSafeNumber(value: bigint, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} exceeds the safe integer range`);
  return n;
}

/** numerator / denominator to the nearest integer, halves up; both non-negative, denominator > 0. */
function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** CGST takes ceil(tax / 2) and SGST the rest: the odd paisa, if any, goes to CGST. */
function splitIntraState(tax: bigint): { cgst: bigint; sgst: bigint } {
  const cgst = (tax + 1n) / 2n;
  return { cgst, sgst: tax - cgst };
}

export function computeGst(input: ComputeGstInput): GstBreakdown {
  const amount = requireNonNegativeInteger(input.amountPaise, "amountPaise");
  const rate = requireNonNegativeInteger(input.rateBps, "rateBps");
  if (!isStateCode(input.supplierState)) throw new RangeError("supplierState is not a state code");
  // undefined from a loose caller counts as "none on record", like null.
  const buyerState = input.buyerState ?? null;
  if (buyerState !== null && !isStateCode(buyerState)) {
    throw new RangeError("buyerState is not a state code");
  }
  // IGST Act s.12(2)(b): no recipient address on record → the supplier's location.
  const placeOfSupply = buyerState ?? input.supplierState;
  const interState = placeOfSupply !== input.supplierState;

  let taxable: bigint;
  let tax: bigint;
  if (input.inclusive) {
    taxable = divRoundHalfUp(amount * 10000n, 10000n + rate);
    tax = amount - taxable;
  } else {
    taxable = amount;
    tax = divRoundHalfUp(amount * rate, 10000n);
  }
  const { cgst, sgst } = interState ? { cgst: 0n, sgst: 0n } : splitIntraState(tax);
  return {
    taxablePaise: toSafeNumber(taxable, "taxablePaise"),
    cgstPaise: toSafeNumber(cgst, "cgstPaise"),
    sgstPaise: toSafeNumber(sgst, "sgstPaise"),
    igstPaise: toSafeNumber(interState ? tax : 0n, "igstPaise"),
    totalPaise: toSafeNumber(taxable + tax, "totalPaise"),
    rateBps: input.rateBps,
    placeOfSupply,
    interState,
  };
}

/**
 * The share of `original` that `cumulative` paise of its total stand for: taxable value, then
 * CGST within the tax, each scaled and rounded half up. Each part is non-decreasing in
 * `cumulative` (every scale factor is ≤ 1) and equals the original's part at the full total.
 */
function cumulativeShare(original: GstBreakdown, cumulative: bigint) {
  const total = BigInt(original.totalPaise);
  if (cumulative === 0n || total === 0n) return { taxable: 0n, cgst: 0n, sgst: 0n, igst: 0n };
  const taxable = divRoundHalfUp(BigInt(original.taxablePaise) * cumulative, total);
  const tax = cumulative - taxable;
  if (original.interState) return { taxable, cgst: 0n, sgst: 0n, igst: tax };
  const originalTax = BigInt(original.cgstPaise + original.sgstPaise);
  const cgst =
    originalTax === 0n ? 0n : divRoundHalfUp(BigInt(original.cgstPaise) * tax, originalTax);
  return { taxable, cgst, sgst: tax - cgst, igst: 0n };
}

function requireConsistent(original: GstBreakdown): void {
  const parts = [
    original.taxablePaise,
    original.cgstPaise,
    original.sgstPaise,
    original.igstPaise,
    original.totalPaise,
  ];
  for (const p of parts) requireNonNegativeInteger(p, "original breakdown part");
  const [taxable, cgst, sgst, igst, total] = parts as [number, number, number, number, number];
  if (taxable + cgst + sgst + igst !== total) {
    throw new RangeError("original breakdown parts do not add up to its total");
  }
  if (original.interState ? cgst + sgst !== 0 : igst !== 0) {
    throw new RangeError("original breakdown mixes IGST with CGST/SGST");
  }
}

/**
 * The GST of a credit note refunding `refundPaise` of `original`'s total, after
 * `alreadyRefundedPaise` were credited by earlier notes. It is share(after) − share(before), so
 * notes for refunds adding up to the total reverse exactly the invoiced parts and never more tax
 * than was charged; a single full refund gives exactly the original's parts. Every part is ≥ 0
 * and they add up to `refundPaise`. RangeError for a zero refund or one beyond what is left.
 */
export function creditNoteGst(
  original: GstBreakdown,
  refundPaise: number,
  alreadyRefundedPaise = 0,
): GstBreakdown {
  requireConsistent(original);
  const refund = requireNonNegativeInteger(refundPaise, "refundPaise");
  const before = requireNonNegativeInteger(alreadyRefundedPaise, "alreadyRefundedPaise");
  if (refund === 0n) throw new RangeError("refundPaise must be at least 1 paisa");
  const after = before + refund;
  if (after > BigInt(original.totalPaise)) {
    throw new RangeError("refunds would exceed the invoice total");
  }
  const a = cumulativeShare(original, after);
  const b = cumulativeShare(original, before);
  return {
    taxablePaise: Number(a.taxable - b.taxable),
    cgstPaise: Number(a.cgst - b.cgst),
    sgstPaise: Number(a.sgst - b.sgst),
    igstPaise: Number(a.igst - b.igst),
    totalPaise: refundPaise,
    rateBps: original.rateBps,
    placeOfSupply: original.placeOfSupply,
    interState: original.interState,
  };
}

/** Integer paise as rupees with Indian digit grouping: 1234567_00 → "12,34,567.00". */
function groupIndian(paise: number): string {
  if (!Number.isSafeInteger(paise)) throw new RangeError("paise must be a safe integer");
  const abs = BigInt(paise < 0 ? -paise : paise);
  const rupees = (abs / 100n).toString();
  const fraction = (abs % 100n).toString().padStart(2, "0");
  const last3 = rupees.slice(-3);
  const rest = rupees.slice(0, -3);
  const grouped = rest ? `${rest.replace(/\B(?=(\d{2})+$)/g, ",")},${last3}` : last3;
  return `${paise < 0 ? "-" : ""}${grouped}.${fraction}`;
}

/** "₹12,34,567.00"; negative amounts as "-₹5.00". */
export function formatPaise(paise: number): string {
  const s = groupIndian(paise);
  return s.startsWith("-") ? `-₹${s.slice(1)}` : `₹${s}`;
}

/** "Rs. 12,34,567.00": for the PDF's standard fonts, which have no ₹ glyph. */
export function formatPaisePlain(paise: number): string {
  const s = groupIndian(paise);
  return s.startsWith("-") ? `-Rs. ${s.slice(1)}` : `Rs. ${s}`;
}

/** Basis points as a percentage without trailing zeros: 1800 → "18%", 900 → "9%", 250 → "2.5%". */
export function formatRateBps(bps: number): string {
  requireNonNegativeInteger(bps, "bps");
  const whole = Math.trunc(bps / 100);
  const frac = (bps % 100).toString().padStart(2, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}%` : `${whole}%`;
}

/** Half a rate in basis points, exactly (CGST and SGST each carry half): 1800 → "9%", 5 → "0.025%". */
export function formatHalfRateBps(bps: number): string {
  requireNonNegativeInteger(bps, "bps");
  const thousandths = bps * 5; // bps / 200 % = bps * 5 / 1000 %
  const whole = Math.trunc(thousandths / 1000);
  const frac = (thousandths % 1000).toString().padStart(3, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}%` : `${whole}%`;
}
