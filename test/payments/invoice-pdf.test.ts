import {
  decodePDFRawStream,
  PDFArray,
  PDFDocument,
  type PDFFont,
  PDFRawStream,
  StandardFonts,
} from "pdf-lib";
import { describe, expect, it } from "vitest";
import { computeGst, creditNoteGst } from "../../src/domains/payments/service/gst";
import {
  formatIndianDate,
  type InvoiceDocument,
  invoiceLines,
  renderInvoicePdf,
  toWinAnsi,
  wrapText,
} from "../../src/domains/payments/service/invoice-pdf";

const supplier = {
  name: "Demo Coaching Private Limited",
  address: "12 MG Road, Bengaluru, Karnataka 560001",
  gstin: "29AABCD1234E1Z5",
};

// 23:30 UTC on 31 March is already 1 April in India: the date must follow Asia/Kolkata.
const issuedAt = new Date("2027-03-31T23:30:00Z");

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  const gst = computeGst({
    amountPaise: 49_900,
    rateBps: 1800,
    inclusive: true,
    supplierState: "29",
    buyerState: "29",
  });
  return {
    kind: "invoice",
    number: "INV/27-28/000001",
    issuedAt,
    supplier,
    buyer: {
      name: "Asha Rao",
      email: "asha@example.in",
      address: "4 Residency Road, Bengaluru",
      stateCode: "29",
    },
    placeOfSupply: "29",
    sac: "999293",
    description: "JEE Main 2027 crash course (batch B12)",
    gst,
    reverseCharge: false,
    paymentReference: "MOJO5a06005J21512197",
    ...overrides,
  };
}

function interStateInvoice(): InvoiceDocument {
  const gst = computeGst({
    amountPaise: 49_900,
    rateBps: 1800,
    inclusive: true,
    supplierState: "29",
    buyerState: "27",
  });
  return invoice({
    gst,
    placeOfSupply: "27",
    buyer: { name: "Vikram Shah", email: "v@example.in", address: null, stateCode: "27" },
  });
}

function creditNote(): InvoiceDocument {
  const original = invoice();
  return invoice({
    kind: "credit_note",
    number: "CN/27-28/000001",
    issuedAt: new Date("2027-04-10T06:00:00Z"),
    gst: creditNoteGst(original.gst, 24_950),
    originalInvoice: { number: original.number, issuedAt: original.issuedAt },
  });
}

interface DrawnText {
  text: string;
  x: number;
  y: number;
  size: number;
  bold: boolean;
}

// The WinAnsi bytes above 0x7F that these tests' documents use; the rest is Latin-1.
const WIN_ANSI_HIGH: Record<number, string> = { 133: "…", 147: "“", 148: "”", 150: "–" };

/** Every string the PDF's content streams show, with its font size and position. */
async function drawnText(bytes: Uint8Array): Promise<DrawnText[][]> {
  const pdf = await PDFDocument.load(bytes);
  return pdf.getPages().map((page) => {
    const contents = page.node.Contents();
    const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
    const drawn: DrawnText[] = [];
    let size = 0;
    let bold = false;
    let x = 0;
    let y = 0;
    for (const ref of refs) {
      const stream = pdf.context.lookup(ref);
      if (!(stream instanceof PDFRawStream)) continue;
      const ops = new TextDecoder("latin1").decode(decodePDFRawStream(stream).decode());
      for (const line of ops.split("\n")) {
        const tf = line.match(/^\/(\S+) ([\d.]+) Tf$/);
        const tm = line.match(/^1 0 0 1 ([\d.-]+) ([\d.-]+) Tm$/);
        const tj = line.match(/^<([0-9A-Fa-f]*)> Tj$/);
        if (tf) {
          bold = (tf[1] ?? "").startsWith("Helvetica-Bold");
          size = Number(tf[2]);
        } else if (tm) {
          x = Number(tm[1]);
          y = Number(tm[2]);
        } else if (tj) {
          const hex = tj[1] ?? "";
          let text = "";
          for (let i = 0; i < hex.length; i += 2) {
            const byte = Number.parseInt(hex.slice(i, i + 2), 16);
            text += WIN_ANSI_HIGH[byte] ?? String.fromCharCode(byte);
          }
          drawn.push({ text, x, y, size, bold });
        }
      }
    }
    return drawn;
  });
}

async function helvetica(): Promise<{ regular: PDFFont; bold: PDFFont }> {
  const pdf = await PDFDocument.create();
  return {
    regular: await pdf.embedFont(StandardFonts.Helvetica),
    bold: await pdf.embedFont(StandardFonts.HelveticaBold),
  };
}

const text = (doc: InvoiceDocument) => invoiceLines(doc).join("\n");

describe("invoiceLines: Rule 46 fields", () => {
  it("names the supplier, the serial number and the Indian date", () => {
    const lines = invoiceLines(invoice());
    expect(lines[0]).toBe("Tax Invoice");
    expect(lines).toContain("Invoice No.: INV/27-28/000001");
    expect(lines).toContain("Date of issue: 01-04-2027");
    expect(lines).toContain("Demo Coaching Private Limited");
    expect(lines).toContain("Address: 12 MG Road, Bengaluru, Karnataka 560001");
    expect(lines).toContain("GSTIN: 29AABCD1234E1Z5");
  });

  it("names the recipient with address, state and registration", () => {
    const lines = invoiceLines(invoice());
    expect(lines).toContain("Asha Rao");
    expect(lines).toContain("Email: asha@example.in");
    expect(lines).toContain("Address: 4 Residency Road, Bengaluru");
    expect(lines).toContain("State: Karnataka (State code 29)");
    expect(lines).toContain("GSTIN: Unregistered");
    const b2b = invoiceLines(invoice({ buyer: { ...invoice().buyer, gstin: "29AAACB2222C1Z1" } }));
    expect(b2b).toContain("GSTIN: 29AAACB2222C1Z1");
  });

  it("shows SAC, description, taxable value, CGST and SGST with rates, place of supply, reverse charge", () => {
    const lines = invoiceLines(invoice());
    for (const line of [
      "SAC: 999293",
      "Description: JEE Main 2027 crash course (batch B12)",
      "Taxable value: Rs. 422.88",
      "CGST @ 9%: Rs. 38.06",
      "SGST/UTGST @ 9%: Rs. 38.06",
      "Total tax: Rs. 76.12",
      "Total (including GST): Rs. 499.00",
      "Place of supply: Karnataka (State code 29)",
      "Reverse charge: No",
      "Payment reference: MOJO5a06005J21512197",
    ]) {
      expect(lines, line).toContain(line);
    }
    expect(text(invoice())).not.toContain("IGST");
  });

  it("shows IGST at the full rate across states, and a missing address as not provided", () => {
    const lines = invoiceLines(interStateInvoice());
    expect(lines).toContain("IGST @ 18%: Rs. 76.12");
    expect(lines).toContain("Place of supply: Maharashtra (State code 27)");
    expect(lines).toContain("Address: Not provided");
    expect(text(interStateInvoice())).not.toMatch(/CGST|SGST/);
  });

  it("shows a missing buyer state as not provided (place of supply is the supplier's)", () => {
    const doc = invoice({ buyer: { name: "A", email: "a@example.in", stateCode: null } });
    expect(invoiceLines(doc)).toContain("State: Not provided");
    expect(invoiceLines(doc)).toContain("Place of supply: Karnataka (State code 29)");
  });

  it("ends with the supplier's authorised signatory and the computer-generated statement", () => {
    const lines = invoiceLines(invoice());
    const i = lines.indexOf("For Demo Coaching Private Limited");
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe("Authorised signatory");
    expect(lines[i + 2]).toMatch(/computer-generated invoice/);
  });

  it("titles a credit note and points at the original invoice", () => {
    const lines = invoiceLines(creditNote());
    expect(lines[0]).toBe("Credit Note");
    expect(lines).toContain("Credit Note No.: CN/27-28/000001");
    expect(lines).toContain("Date of issue: 10-04-2027");
    expect(lines).toContain("Against original invoice No. INV/27-28/000001 dated 01-04-2027");
    expect(lines).toContain("Taxable value: Rs. 211.44");
    expect(lines).toContain("CGST @ 9%: Rs. 19.03");
    expect(lines).toContain("Total credited: Rs. 249.50");
    expect(text(creditNote())).toMatch(/computer-generated credit note/);
    expect(text(creditNote())).not.toContain("Tax Invoice");
  });
});

describe("text the standard fonts can draw", () => {
  it("replaces Devanagari and emoji, keeps Latin", () => {
    expect(toWinAnsi("राम Kumar 😀")).toBe("??? Kumar ?");
    expect(toWinAnsi("Śrīnivās Iyer")).toBe("Srinivas Iyer");
    expect(toWinAnsi("José “Pepe” – café €5")).toBe("José “Pepe” – café €5");
    expect(toWinAnsi("a\tb\nc\u200Dd 👍🏽")).toBe("a b cd ??");
  });

  it("gives Helvetica only characters it can encode", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    let all = "";
    for (let cp = 0; cp < 0x3000; cp++) all += String.fromCodePoint(cp);
    all += "😀👨‍👩‍👧🇮🇳";
    const safe = toWinAnsi(all);
    expect(() => font.encodeText(safe)).not.toThrow();
    expect(() => font.widthOfTextAtSize(safe, 10)).not.toThrow();
  });

  it("wraps at spaces and cuts words longer than the line, never wider than the limit", () => {
    const width = (s: string) => s.length;
    expect(wrapText("aaa bbb ccc", 7, width)).toEqual(["aaa bbb", "ccc"]);
    expect(wrapText("x".repeat(25), 10, width)).toEqual(["x".repeat(10), "x".repeat(10), "xxxxx"]);
    expect(wrapText("", 10, width)).toEqual([""]);
    const long = `${"word ".repeat(50)}${"y".repeat(40)} end`;
    const pieces = wrapText(long.trim(), 17, width);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(17);
    expect(pieces.join(" ").replace(/ /g, "")).toBe(long.replace(/ /g, ""));
  });

  it("formats dates in India Standard Time", () => {
    expect(formatIndianDate(new Date("2027-03-31T18:29:59Z"))).toBe("31-03-2027");
    expect(formatIndianDate(new Date("2027-03-31T18:30:00Z"))).toBe("01-04-2027");
    expect(() => formatIndianDate(new Date("nope"))).toThrow(RangeError);
  });
});

describe("renderInvoicePdf", () => {
  it("writes a PDF that parses back, with the number as title and the issue date as creation date", async () => {
    const bytes = await renderInvoicePdf(invoice());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const parsed = await PDFDocument.load(bytes, { updateMetadata: false });
    expect(parsed.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(parsed.getTitle()).toBe("INV/27-28/000001");
    expect(parsed.getProducer()).toBe(supplier.name);
    expect(parsed.getCreator()).toBe(supplier.name);
    expect(parsed.getCreationDate()?.toISOString()).toBe(issuedAt.toISOString());
    expect(parsed.getModificationDate()?.toISOString()).toBe(issuedAt.toISOString());
  });

  it("is deterministic: the same document gives the same bytes", async () => {
    const a = await renderInvoicePdf(creditNote());
    const b = await renderInvoicePdf(creditNote());
    expect(a).toEqual(b);
    const parsed = await PDFDocument.load(a, { updateMetadata: false });
    expect(parsed.getTitle()).toBe("CN/27-28/000001");
    expect(parsed.getSubject()).toBe("Credit Note");
  });

  it.each([
    ["an invoice", invoice],
    ["an inter-state invoice", interStateInvoice],
    ["a credit note", creditNote],
  ])("draws exactly the lines of %s, in order", async (_, make) => {
    const doc = make();
    const drawn = (await drawnText(await renderInvoicePdf(doc))).flat();
    expect(drawn.map((d) => d.text)).toEqual(invoiceLines(doc).filter((l) => l !== ""));
  });

  it("renders non-WinAnsi names without crashing", async () => {
    const doc = invoice({
      buyer: { name: "राम Kumar 😀", email: "ram@example.in", stateCode: "07" },
      description: "गणित (Maths) — Class 10 📚",
    });
    expect(invoiceLines(doc)).toContain("??? Kumar ?");
    const parsed = await PDFDocument.load(await renderInvoicePdf(doc));
    expect(parsed.getPageCount()).toBeGreaterThanOrEqual(1);
  });

  it("wraps and caps very long names and descriptions instead of running off the page", async () => {
    const doc = invoice({
      buyer: {
        name: "Supercalifragilistic".repeat(40),
        email: "long@example.in",
        address: "Flat 1, ".repeat(200),
        stateCode: "33",
      },
      description: "A very long course description ".repeat(100),
    });
    const lines = invoiceLines(doc);
    expect(lines.every((l) => l.length <= 700)).toBe(true);
    expect(lines.find((l) => l.startsWith("Supercal"))).toMatch(/…$/);

    const bytes = await renderInvoicePdf(doc);
    const pages = await drawnText(bytes);
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(2);
    // Wrapped, not lost: the drawn pieces hold every character of the lines, in order.
    const squash = (parts: string[]) => parts.join("").replace(/ /g, "");
    expect(squash(pages.flat().map((d) => d.text))).toBe(squash(lines));
    expect(pages.flat().length).toBeGreaterThan(lines.filter(Boolean).length);
    // And every piece sits inside the A4 page's margins.
    const fonts = await helvetica();
    for (const d of pages.flat()) {
      const width = (d.bold ? fonts.bold : fonts.regular).widthOfTextAtSize(d.text, d.size);
      expect(d.x, d.text).toBeGreaterThanOrEqual(50);
      expect(d.x + width, d.text).toBeLessThanOrEqual(595.28 - 50 + 0.01);
      expect(d.y, d.text).toBeGreaterThanOrEqual(50);
      expect(d.y + d.size, d.text).toBeLessThanOrEqual(841.89 - 50 + 0.01);
    }
  });
});
