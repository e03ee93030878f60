/**
 * The tax invoice and credit note as a one-or-more-page A4 PDF (CGST Rule 46 fields; Rule 53 for
 * credit notes). `invoiceLines` decides every word on the page; the renderer only wraps and draws
 * those lines, so tests of the lines are tests of the document. Pure: no fs, no Node APIs.
 */
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import {
  formatHalfRateBps,
  formatPaisePlain,
  formatRateBps,
  type GstBreakdown,
  type StateCode,
  stateName,
} from "./gst";

export interface InvoiceDocument {
  kind: "invoice" | "credit_note";
  number: string;
  issuedAt: Date;
  supplier: { name: string; address: string; gstin: string };
  buyer: {
    name: string;
    email: string;
    address?: string | null;
    stateCode: StateCode | null;
    /** A registered recipient's GSTIN (B2B); absent or null for a consumer. */
    gstin?: string | null;
  };
  placeOfSupply: StateCode;
  sac: "999293";
  description: string;
  gst: GstBreakdown;
  reverseCharge: false;
  /** Credit notes: the invoice they adjust. */
  originalInvoice?: { number: string; issuedAt: Date };
  paymentReference?: string;
}

export type LineStyle = "title" | "heading" | "body" | "strong" | "small" | "blank";
export interface StyledLine {
  text: string;
  style: LineStyle;
}

// User-supplied text is capped before wrapping so a pathological name cannot run to pages.
const MAX_NAME = 160;
const MAX_ADDRESS = 400;
const MAX_DESCRIPTION = 600;
const MAX_OTHER = 120;

// WinAnsi (the standard fonts' encoding) beyond Latin-1: the 0x80–0x9F printable characters.
const WIN_ANSI_EXTRA = new Set(Array.from("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ", (c) => c.codePointAt(0)));
const MARK = /^\p{M}$/u;

/** Zero-width spaces and joiners, word joiner, variation selectors, BOM: nothing to draw. */
function isInvisible(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200f) ||
    cp === 0x2060 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  );
}

function isWinAnsi(cp: number): boolean {
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp);
}

/**
 * Text the standard fonts can draw: accented Latin letters outside WinAnsi lose their accents
 * ("Śrī" → "Sri"), zero-width joiners and variation selectors go, control characters become spaces, and
 * anything else (Devanagari, emoji) becomes "?" per character, so a name never crashes a render.
 */
export function toWinAnsi(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isWinAnsi(cp)) out += ch;
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += " ";
    else if (isInvisible(cp)) continue;
    else {
      const base = Array.from(ch.normalize("NFKD")).filter((c) => !MARK.test(c));
      const ok = base.length > 0 && base.every((c) => isWinAnsi(c.codePointAt(0) ?? 0));
      out += ok ? base.join("") : "?";
    }
  }
  return out.replace(/ {2,}/g, " ").trim();
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** DD-MM-YYYY in India Standard Time (UTC+05:30 all year, no DST), without relying on ICU. */
export function formatIndianDate(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid date");
  const ist = new Date(ms + 330 * 60_000);
  const dd = String(ist.getUTCDate()).padStart(2, "0");
  const mm = String(ist.getUTCMonth() + 1).padStart(2, "0");
  return `${dd}-${mm}-${ist.getUTCFullYear()}`;
}

const stateLabel = (code: StateCode) => `${stateName(code)} (State code ${code})`;

/** Every line of the document, in order, with the style it is drawn in. */
export function invoiceStyledLines(doc: InvoiceDocument): StyledLine[] {
  const isCredit = doc.kind === "credit_note";
  const user = (text: string, max: number) => clip(toWinAnsi(text), max);
  const money = formatPaisePlain;
  const g = doc.gst;
  const lines: StyledLine[] = [];
  const add = (text: string, style: LineStyle = "body") => lines.push({ text, style });
  const blank = () => add("", "blank");

  add(isCredit ? "Credit Note" : "Tax Invoice", "title");
  add(`${isCredit ? "Credit Note No." : "Invoice No."}: ${user(doc.number, MAX_OTHER)}`, "strong");
  add(`Date of issue: ${formatIndianDate(doc.issuedAt)}`);
  if (isCredit) {
    const o = doc.originalInvoice;
    add(
      o
        ? `Against original invoice No. ${user(o.number, MAX_OTHER)} dated ${formatIndianDate(o.issuedAt)}`
        : "Against original invoice: not recorded",
    );
  }
  blank();

  add("Supplier", "heading");
  add(user(doc.supplier.name, MAX_NAME));
  add(`Address: ${user(doc.supplier.address, MAX_ADDRESS)}`);
  add(`GSTIN: ${user(doc.supplier.gstin, MAX_OTHER)}`);
  blank();

  add("Recipient", "heading");
  add(user(doc.buyer.name, MAX_NAME));
  add(`Email: ${user(doc.buyer.email, MAX_OTHER)}`);
  const address = doc.buyer.address ? user(doc.buyer.address, MAX_ADDRESS) : "";
  add(`Address: ${address || "Not provided"}`);
  add(`State: ${doc.buyer.stateCode ? stateLabel(doc.buyer.stateCode) : "Not provided"}`);
  const buyerGstin = doc.buyer.gstin ? user(doc.buyer.gstin, MAX_OTHER) : "";
  add(`GSTIN: ${buyerGstin || "Unregistered"}`);
  blank();

  add(`Place of supply: ${stateLabel(doc.placeOfSupply)}`);
  add(`Reverse charge: ${doc.reverseCharge ? "Yes" : "No"}`);
  if (doc.paymentReference) add(`Payment reference: ${user(doc.paymentReference, MAX_OTHER)}`);
  blank();

  add("Particulars", "heading");
  add(`Description: ${user(doc.description, MAX_DESCRIPTION)}`);
  add(`SAC: ${doc.sac}`);
  add(`Taxable value: ${money(g.taxablePaise)}`);
  if (g.interState) {
    add(`IGST @ ${formatRateBps(g.rateBps)}: ${money(g.igstPaise)}`);
  } else {
    add(`CGST @ ${formatHalfRateBps(g.rateBps)}: ${money(g.cgstPaise)}`);
    add(`SGST/UTGST @ ${formatHalfRateBps(g.rateBps)}: ${money(g.sgstPaise)}`);
  }
  add(`Total tax: ${money(g.cgstPaise + g.sgstPaise + g.igstPaise)}`);
  add(`${isCredit ? "Total credited" : "Total (including GST)"}: ${money(g.totalPaise)}`, "strong");
  blank();

  add(`For ${user(doc.supplier.name, MAX_NAME)}`);
  add("Authorised signatory");
  add(
    `This is a computer-generated ${isCredit ? "credit note" : "invoice"} and needs no physical signature.`,
    "small",
  );
  return lines;
}

/** The text of every line `renderInvoicePdf` draws, in order (wrapping aside). */
export function invoiceLines(doc: InvoiceDocument): string[] {
  return invoiceStyledLines(doc).map((l) => l.text);
}

/**
 * Breaks `text` at spaces into pieces no wider than `maxWidth`; a word wider than the line is
 * cut by characters. Joining the pieces with single spaces gives back the text.
 */
export function wrapText(text: string, maxWidth: number, width: (s: string) => number): string[] {
  if (text === "") return [""];
  const pieces: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    const candidate = current ? `${current} ${word}` : word;
    if (width(candidate) <= maxWidth) {
      current = candidate;
      continue;
    }
    if (current) pieces.push(current);
    current = "";
    let chars = Array.from(word);
    while (chars.length > 1 && width(chars.join("")) > maxWidth) {
      // At least one character per piece, so even a glyph wider than the line makes progress.
      let n = 1;
      while (n < chars.length && width(chars.slice(0, n + 1).join("")) <= maxWidth) n++;
      pieces.push(chars.slice(0, n).join(""));
      chars = chars.slice(n);
    }
    current = chars.join("");
  }
  pieces.push(current);
  return pieces;
}

const PAGE = { width: 595.28, height: 841.89, margin: 50 }; // A4 in points
const SIZES: Record<LineStyle, number> = {
  title: 18,
  heading: 11,
  body: 10,
  strong: 10,
  small: 8,
  blank: 6,
};

export async function renderInvoicePdf(doc: InvoiceDocument): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.setTitle(doc.number);
  pdf.setAuthor(doc.supplier.name);
  pdf.setSubject(doc.kind === "credit_note" ? "Credit Note" : "Tax Invoice");
  // Metadata strings are UTF-16: no WinAnsi limit here.
  pdf.setProducer(doc.supplier.name);
  pdf.setCreator(doc.supplier.name);
  pdf.setCreationDate(doc.issuedAt);
  pdf.setModificationDate(doc.issuedAt);

  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const fontFor = (style: LineStyle): PDFFont =>
    style === "title" || style === "heading" || style === "strong" ? bold : regular;
  const maxWidth = PAGE.width - 2 * PAGE.margin;

  let page: PDFPage = pdf.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - PAGE.margin;
  for (const line of invoiceStyledLines(doc)) {
    const size = SIZES[line.style];
    const font = fontFor(line.style);
    const leading = size * 1.4;
    for (const piece of wrapText(line.text, maxWidth, (s) => font.widthOfTextAtSize(s, size))) {
      if (y - leading < PAGE.margin) {
        page = pdf.addPage([PAGE.width, PAGE.height]);
        y = PAGE.height - PAGE.margin;
      }
      y -= leading;
      if (piece) page.drawText(piece, { x: PAGE.margin, y, size, font, color: rgb(0, 0, 0) });
    }
    if (line.style === "title") {
      y -= 6;
      page.drawLine({
        start: { x: PAGE.margin, y },
        end: { x: PAGE.width - PAGE.margin, y },
        thickness: 0.75,
        color: rgb(0.4, 0.4, 0.4),
      });
    }
  }
  return pdf.save();
}
