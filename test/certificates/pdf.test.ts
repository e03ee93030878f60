/**
 * The certificate PDF, read back the way a reader would: pdf-lib parses it, the page's content
 * stream is decoded operator by operator, text comes back through each font's ToUnicode map and
 * the embedded font programs, and the QR code is rebuilt from the squares actually drawn and
 * decoded with jsQR.
 */
import { create as createFontkitFont, type Font } from "fontkit";
import jsQR from "jsqr";
import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  type PDFRawStream,
  type PDFRef,
} from "pdf-lib";
import { describe, expect, it } from "vitest";
import { formatCertificateCode, newCertificateCode } from "../../src/lib/certificates/code";
import {
  type CertificateInput,
  certificateLines,
  loadCertificateRenderer,
  renderCertificatePdf,
} from "../../src/lib/certificates/pdf";
import { FONT_PATHS } from "../../src/lib/certificates/pdf/fonts";
import { formatAttendance, formatCalendarDate } from "../../src/lib/certificates/pdf/lines";
import { PAGE, QR_BOX, renderCertificate } from "../../src/lib/certificates/pdf/render";
import { splitRuns } from "../../src/lib/certificates/pdf/script";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";
import { insertEnrolment } from "../support/learning";

// The Worker's static assets (public/, where npm install copies the fonts) through the ASSETS
// binding, as a route reads them.
const assets = {
  async fetchAsset(path: string): Promise<ArrayBuffer> {
    const res = await testEnv.ASSETS.fetch(new URL(path, "http://assets.local"));
    if (!res.ok) throw new Error(`asset ${path}: ${res.status}`);
    return res.arrayBuffer();
  },
};

async function sourceFont(path: string): Promise<Font> {
  return createFontkitFont(new Uint8Array(await assets.fetchAsset(path)) as never) as Font;
}

const VERIFY_URL = "https://api.example.in/v1/certificates/verify/7KQ4M9XD2HPA";

function input(overrides: Partial<CertificateInput> = {}): CertificateInput {
  return {
    name: "Asha Rao",
    course: "JEE Main 2027 Physics Crash Course",
    batchName: "B12 Evening",
    startDate: "2026-01-05",
    endDate: "2026-03-28",
    // 20:00 UTC on 1 December is already 2 December in India.
    issuedAt: new Date("2026-12-01T20:00:00Z"),
    code: "7KQ4-M9XD-2HPA",
    verifyUrl: VERIFY_URL,
    issuerName: "Demo Coaching Private Limited",
    attendancePct: 92.46,
    revoked: null,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the PDF back

interface EmbeddedFont {
  resource: string;
  baseFont: string;
  toUnicode: Map<number, string>;
  program: Font | null;
}

interface DrawnGlyph {
  font: EmbeddedFont;
  gid: number;
  size: number;
  /** The text matrix it was shown with. */
  tm: number[];
}

interface TextObject {
  actualText: string | null;
  glyphs: DrawnGlyph[];
  /** The glyphs mapped back through ToUnicode, in drawing order. */
  text: string;
  fill: number[];
}

interface ParsedPdf {
  doc: PDFDocument;
  width: number;
  height: number;
  fonts: EmbeddedFont[];
  texts: TextObject[];
  /** Every `x y w h re` in the content stream. */
  rects: { x: number; y: number; w: number; h: number }[];
}

function parseToUnicode(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const units = (m[2] ?? "").match(/.{4}/g) ?? [];
      map.set(
        Number.parseInt(m[1] ?? "", 16),
        String.fromCharCode(...units.map((u) => Number.parseInt(u, 16))),
      );
    }
  }
  return map;
}

function hexToUtf16(hex: string): string {
  const units = (hex.match(/.{4}/g) ?? []).map((u) => Number.parseInt(u, 16));
  return String.fromCharCode(...(units[0] === 0xfeff ? units.slice(1) : units));
}

async function parsePdf(bytes: Uint8Array): Promise<ParsedPdf> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const page = doc.getPage(0);
  const { width, height } = page.getSize();

  const fontDict = page.node.Resources()?.lookup(PDFName.of("Font"), PDFDict);
  const fonts: EmbeddedFont[] = [];
  for (const [name, ref] of fontDict?.entries() ?? []) {
    const dict = doc.context.lookup(ref, PDFDict);
    const tu = dict.lookup(PDFName.of("ToUnicode")) as PDFRawStream;
    const descendant = dict.lookup(PDFName.of("DescendantFonts"), PDFArray).lookup(0, PDFDict);
    const descriptor = descendant.lookup(PDFName.of("FontDescriptor"), PDFDict);
    const file = descriptor.lookup(PDFName.of("FontFile2")) as PDFRawStream | undefined;
    fonts.push({
      resource: name.decodeText(),
      baseFont: dict.lookup(PDFName.of("BaseFont"), PDFName).decodeText(),
      toUnicode: parseToUnicode(new TextDecoder().decode(decodePDFRawStream(tu).decode())),
      program: file
        ? (createFontkitFont(decodePDFRawStream(file).decode() as never) as Font)
        : null,
    });
  }

  const contents = page.node.Contents();
  const streams =
    contents instanceof PDFArray
      ? contents.asArray().map((r) => doc.context.lookup(r as PDFRef) as PDFRawStream)
      : [contents as PDFRawStream];
  const content = streams
    .map((s) => new TextDecoder("latin1").decode(decodePDFRawStream(s).decode()))
    .join("\n");

  const texts: TextObject[] = [];
  const rects: ParsedPdf["rects"] = [];
  let current: TextObject | null = null;
  let actualText: string | null = null;
  let font: EmbeddedFont | undefined;
  let size = 0;
  let tm = [1, 0, 0, 1, 0, 0];
  let fill = [0, 0, 0];
  const rules: [RegExp, (m: RegExpMatchArray) => void][] = [
    [
      /^\/Span <<\/ActualText <([0-9A-Fa-f]+)>>> BDC$/,
      (m) => {
        actualText = hexToUtf16(m[1] ?? "");
      },
    ],
    [
      /^BT$/,
      () => {
        current = { actualText, glyphs: [], text: "", fill };
      },
    ],
    [
      /^ET$/,
      () => {
        if (current) texts.push(current);
        current = null;
      },
    ],
    [
      /^EMC$/,
      () => {
        actualText = null;
      },
    ],
    [
      /^\/(\S+) (\S+) Tf$/,
      (m) => {
        font = fonts.find((f) => f.resource === m[1]);
        size = Number(m[2]);
      },
    ],
    [
      /^(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) Tm$/,
      (m) => {
        tm = m.slice(1, 7).map(Number);
      },
    ],
    [
      /^(\S+) (\S+) (\S+) rg$/,
      (m) => {
        fill = m.slice(1, 4).map(Number);
        if (current) current.fill = fill;
      },
    ],
    [
      /^<([0-9A-Fa-f]+)> Tj$/,
      (m) => {
        if (!current || !font) return;
        for (const hex of m[1]?.match(/.{4}/g) ?? []) {
          const gid = Number.parseInt(hex, 16);
          current.glyphs.push({ font, gid, size, tm });
          current.text += font.toUnicode.get(gid) ?? "\uFFFD";
        }
      },
    ],
    [
      /^(\S+) (\S+) (\S+) (\S+) re$/,
      (m) => {
        const [x, y, w, h] = m.slice(1, 5).map(Number) as [number, number, number, number];
        rects.push({ x, y, w, h });
      },
    ],
  ];
  for (const line of content.split("\n")) {
    for (const [re, apply] of rules) {
      const m = line.match(re);
      if (m) {
        apply(m);
        break;
      }
    }
  }
  return { doc, width, height, fonts, texts, rects };
}

const textOf = (pdf: ParsedPdf) => pdf.texts.map((t) => t.text);
const objectFor = (pdf: ParsedPdf, text: string) => {
  const found = pdf.texts.find((t) => t.actualText === text);
  if (!found) throw new Error(`no text object for ${text}`);
  return found;
};

// ---------------------------------------------------------------------------------------------

describe("certificateLines", () => {
  it("says who completed what, when, with the code and where to verify", () => {
    const lines = certificateLines(input());
    expect(lines.map((l) => l.text)).toEqual([
      "Certificate of Completion",
      "This is to certify that",
      "Asha Rao",
      "has successfully completed the course",
      "JEE Main 2027 Physics Crash Course",
      "Batch B12 Evening, 5 January 2026 to 28 March 2026",
      "Attendance: 92.4%",
      "Issued on 2 December 2026 by Demo Coaching Private Limited",
      "Certificate code: 7KQ4-M9XD-2HPA",
      `Verify at ${VERIFY_URL}`,
      "Scan to verify",
    ]);
  });

  it("adds the REVOKED mark and its date and reason only when revoked", () => {
    const lines = certificateLines(
      input({ revoked: { at: new Date("2027-01-10T19:00:00Z"), reasonCategory: "fraud" } }),
    );
    expect(lines.slice(-2)).toEqual([
      { role: "revokedMark", text: "REVOKED" },
      { role: "revokedDetail", text: "Revoked on 11 January 2027. Reason: fraud" },
    ]);
    expect(certificateLines(input()).some((l) => l.role.startsWith("revoked"))).toBe(false);
  });

  it("formats dates and attendance without overstating", () => {
    expect(formatCalendarDate("2026-02-01")).toBe("1 February 2026");
    expect(() => formatCalendarDate("01-02-2026")).toThrow(RangeError);
    expect(formatAttendance(89.96)).toBe("89.9%");
    expect(formatAttendance(100)).toBe("100%");
    expect(formatAttendance(120)).toBe("100%");
  });

  it("cleans control characters and caps a pathological name", () => {
    const lines = certificateLines(input({ name: `Asha\u0000\nRao${"a".repeat(500)}` }));
    const name = lines.find((l) => l.role === "name")?.text ?? "";
    expect(name.startsWith("Asha Rao")).toBe(true);
    expect(Array.from(name)).toHaveLength(120);
  });

  it("splits mixed-script text into per-font runs, keeping spaces and joiners inside Indic runs", () => {
    const all = () => true;
    expect(splitRuns("Priya தமிழ் राम कुमार", all)).toEqual([
      { script: "latin", text: "Priya " },
      { script: "tamil", text: "தமிழ் " },
      { script: "devanagari", text: "राम कुमार" },
    ]);
    expect(splitRuns("क्\u200Dष", all)).toEqual([{ script: "devanagari", text: "क्\u200Dष" }]);
  });
});

describe("renderCertificatePdf", () => {
  it("loads the renderer lazily through loadCertificateRenderer", async () => {
    const mod = await loadCertificateRenderer();
    expect(typeof mod.renderCertificatePdf).toBe("function");
  });

  it("is one A4 landscape page with every line as text, fonts embedded as Noto Sans subsets", async () => {
    const bytes = await renderCertificatePdf(input(), assets);
    const pdf = await parsePdf(bytes);
    expect(pdf.doc.getPageCount()).toBe(1);
    expect(Math.round(pdf.width)).toBe(842);
    expect(Math.round(pdf.height)).toBe(595);
    expect(pdf.width).toBeCloseTo(PAGE.width, 2);

    const drawn = textOf(pdf);
    for (const line of certificateLines(input())) expect(drawn).toContain(line.text);
    expect(drawn.join("\n")).not.toMatch(/REVOKED|Revoked/);
    // ActualText (what copy and search give) matches the glyphs for Latin text.
    for (const t of pdf.texts) if (t.actualText !== null) expect(t.text).toBe(t.actualText);

    // Latin only: Noto Sans regular and bold, as tagged subsets with the font program inside;
    // no Devanagari or Tamil font is fetched or embedded.
    expect(pdf.fonts.map((f) => f.baseFont.replace(/^[A-Z]{6}\+/, "")).sort()).toEqual([
      "NotoSans-Bold",
      "NotoSans-Regular",
    ]);
    for (const f of pdf.fonts) {
      expect(f.baseFont).toMatch(/^[A-Z]{6}\+NotoSans-(Regular|Bold)$/);
      expect(f.program).not.toBeNull();
      // A subset: a few dozen glyphs, not the 4,500 of Noto Sans.
      expect(f.program?.numGlyphs).toBeLessThan(100);
    }
    expect(pdf.doc.getTitle()).toBe("Certificate 7KQ4-M9XD-2HPA");
  });

  it("draws every glyph's outline intact in the embedded subsets", async () => {
    const pdf = await parsePdf(await renderCertificatePdf(input(), assets));
    const regular = await sourceFont(FONT_PATHS.latin.regular);
    const lead = objectFor(pdf, "This is to certify that");
    const expected = regular.layout("This is to certify that").glyphs.map((g) => g.path.toSVG());
    expect(lead.glyphs.map((g) => g.font.program?.getGlyph(g.gid).path.toSVG())).toEqual(expected);
  });

  it("marks a revoked certificate with a large diagonal red REVOKED, its date and reason", async () => {
    const revoked = { at: new Date("2027-01-10T19:00:00Z"), reasonCategory: "fraud" };
    const pdf = await parsePdf(await renderCertificatePdf(input({ revoked }), assets));
    const mark = objectFor(pdf, "REVOKED");
    expect(mark.text).toBe("REVOKED");
    expect(mark.glyphs[0]?.size).toBeGreaterThanOrEqual(100);
    const [a = 0, b = 0] = mark.glyphs[0]?.tm ?? [];
    expect(b).toBeGreaterThan(0.3); // rotated: the text runs diagonally up the page
    expect(a).toBeGreaterThan(0.5);
    expect(mark.fill[0]).toBeGreaterThan(0.7);
    expect(mark.fill[1]).toBeLessThan(0.2);
    expect(textOf(pdf)).toContain("Revoked on 11 January 2027. Reason: fraud");
    expect(pdf.doc.getTitle()).toBe("Certificate 7KQ4-M9XD-2HPA (REVOKED)");
  });

  it("draws a QR code, as vector squares, that decodes to the verify URL", async () => {
    const url = "https://api.example.in/v1/certificates/verify/ZP3R8W2Q4MXC?from=pdf";
    const rendered = await renderCertificate(input({ verifyUrl: url }), assets);
    const pdf = await parsePdf(rendered.pdf);

    // The squares in the QR box, from the content stream.
    const left = PAGE.width - QR_BOX.right - QR_BOX.size;
    const inBox = qrSquares(pdf);
    const n = rendered.qr.modules.length;
    const ms = QR_BOX.size / n;
    for (const r of inBox) {
      expect(r.w).toBeCloseTo(ms, 2);
      expect(r.h).toBeCloseTo(ms, 2);
    }
    // Exactly the dark modules of the matrix the renderer encoded.
    const drawnCells = new Set(
      inBox.map((r) => {
        const col = Math.round((r.x - left) / ms);
        const row = Math.round((QR_BOX.bottom + QR_BOX.size - r.y) / ms) - 1;
        return `${row},${col}`;
      }),
    );
    const expectedCells = new Set<string>();
    rendered.qr.modules.forEach((row, r) => {
      row.forEach((dark, c) => {
        if (dark) expectedCells.add(`${r},${c}`);
      });
    });
    expect(drawnCells.size).toBe(inBox.length);
    expect(drawnCells).toEqual(expectedCells);

    expect(decodeDrawnQr(inBox, n)).toBe(url);
  });
});

describe("names the fonts cannot all draw, or too long to fit", () => {
  it("shrinks a long name to fit inside the border", async () => {
    const name = `Venkata Lakshmi Narasimha ${"Subrahmanya ".repeat(10)}Rao`.slice(0, 118);
    const pdf = await parsePdf(await renderCertificatePdf(input({ name }), assets));
    const obj = objectFor(pdf, name);
    expect(obj.text).toBe(name);
    const xs = obj.glyphs.map((g) => g.tm[4] ?? 0);
    expect(Math.min(...xs)).toBeGreaterThan(60);
    expect(Math.max(...xs)).toBeLessThan(PAGE.width - 80);
    expect(obj.glyphs[0]?.size).toBeLessThan(32);
  });

  it("draws characters of scripts it has no font for as ?, keeping the rest", async () => {
    const name = "অমিত Das"; // Bengali: no Bengali font is shipped
    const pdf = await parsePdf(await renderCertificatePdf(input({ name }), assets));
    const obj = objectFor(pdf, name);
    expect(obj.text).toBe("???? Das");
  });
});

describe("names in Devanagari and Tamil", () => {
  async function shapedName(name: string, fontPath: string) {
    const pdf = await parsePdf(await renderCertificatePdf(input({ name }), assets));
    const obj = objectFor(pdf, name);
    const source = await sourceFont(fontPath);
    const run = source.layout(name);
    return { pdf, obj, source, run };
  }

  it("shapes Devanagari: the क्ष ligature, त्र conjunct, reordered i-matra and positioned u-matra", async () => {
    const name = "राम कुमार क्षत्रिय";
    const { pdf, obj, source, run } = await shapedName(name, FONT_PATHS.devanagari.bold);

    // The Devanagari font is embedded, as a subset, next to Noto Sans; not the Tamil one.
    const names = pdf.fonts.map((f) => f.baseFont);
    expect(names.some((n) => /^[A-Z]{6}\+NotoSansDevanagari-Bold$/.test(n))).toBe(true);
    expect(names.some((n) => n.includes("Tamil"))).toBe(false);
    const deva = pdf.fonts.find((f) => f.baseFont.endsWith("NotoSansDevanagari-Bold"));
    expect(deva?.program).not.toBeNull();

    // What was drawn is fontkit's shaped glyph sequence (compared by outline, since subset
    // glyph ids are renumbered), not one glyph per character.
    const drawn = obj.glyphs.map((g) => g.font.program?.getGlyph(g.gid).path.toSVG());
    expect(drawn).toEqual(run.glyphs.map((g) => g.path.toSVG()));
    const naive = Array.from(name, (c) => source.glyphForCodePoint(c.codePointAt(0) ?? 0));
    expect(drawn.length).toBeLessThan(naive.length);

    // क्ष is one ligature glyph, not क + ् + ष.
    const glyphNames = run.glyphs.map((g) => g.name);
    expect(glyphNames).toContain("uni0915094D0937");
    const ka = source.glyphForCodePoint(0x915).path.toSVG();
    const ksha = source.layout("क्ष").glyphs;
    expect(ksha).toHaveLength(1);
    expect(drawn).toContain(ksha[0]?.path.toSVG());
    expect(ksha[0]?.path.toSVG()).not.toBe(ka);
    // In त्रि the i-matra (logically last) is drawn first, before the त्र conjunct.
    const iMatra = glyphNames.findIndex((n) => n.startsWith("uni093F"));
    const tra = glyphNames.indexOf("uni0924094D0930");
    expect(iMatra).toBeGreaterThan(-1);
    expect(tra).toBe(iMatra + 1);

    // Positions are fontkit's, GPOS offsets included: the u-matra of कु is pulled back under
    // the क rather than placed after it.
    const size = obj.glyphs[0]?.size ?? 0;
    const scale = size / source.unitsPerEm;
    const x0 = obj.glyphs[0]?.tm[4] ?? 0;
    let pen = 0;
    run.positions.forEach((p, i) => {
      expect(obj.glyphs[i]?.tm[4]).toBeCloseTo(x0 + (pen + p.xOffset) * scale, 2);
      pen += p.xAdvance;
    });
    const u = glyphNames.indexOf("uni0941");
    expect(run.positions[u]?.xOffset).toBeLessThan(0);
    expect(run.positions[u]?.xAdvance).toBe(0);

    // Copy and search give the logical string.
    expect(obj.actualText).toBe(name);
    // The glyphs map back to the same characters (in visual order, so compared as multisets).
    expect(Array.from(obj.text).sort()).toEqual(Array.from(name).sort());
  });

  it("shapes Tamil: pulli forms and the e-vowel sign drawn before its consonant", async () => {
    const name = "தமிழ்செல்வி";
    const { pdf, obj, source, run } = await shapedName(name, FONT_PATHS.tamil.bold);

    const names = pdf.fonts.map((f) => f.baseFont);
    expect(names.some((n) => /^[A-Z]{6}\+NotoSansTamil-Bold$/.test(n))).toBe(true);
    expect(names.some((n) => n.includes("Devanagari"))).toBe(false);

    const drawn = obj.glyphs.map((g) => g.font.program?.getGlyph(g.gid).path.toSVG());
    expect(drawn).toEqual(run.glyphs.map((g) => g.path.toSVG()));
    const naive = Array.from(name, (c) => source.glyphForCodePoint(c.codePointAt(0) ?? 0).id);
    expect(run.glyphs.map((g) => g.id)).not.toEqual(naive);

    // செ: the e-sign (U+0BC6) is written after ச but drawn before it.
    const glyphNames = run.glyphs.map((g) => g.name);
    expect(glyphNames.indexOf("evowelsigntamil")).toBe(glyphNames.indexOf("catamil") - 1);
    expect(obj.actualText).toBe(name);
  });

  it("draws a mixed Latin and Tamil name with both fonts", async () => {
    const name = "Priya தமிழ்செல்வி";
    const pdf = await parsePdf(await renderCertificatePdf(input({ name }), assets));
    const obj = objectFor(pdf, name);
    const fontsUsed = new Set(obj.glyphs.map((g) => g.font.baseFont.replace(/^[A-Z]{6}\+/, "")));
    expect(fontsUsed).toEqual(new Set(["NotoSans-Bold", "NotoSansTamil-Bold"]));
    expect(obj.text.startsWith("Priya ")).toBe(true);
  });
});

/** The QR box's squares in a parsed page (bottom right, QR_BOX). */
function qrSquares(pdf: ParsedPdf) {
  const left = PAGE.width - QR_BOX.right - QR_BOX.size;
  return pdf.rects.filter(
    (r) =>
      r.x >= left - 0.01 &&
      r.x <= left + QR_BOX.size &&
      r.y >= QR_BOX.bottom - 0.01 &&
      r.y <= QR_BOX.bottom + QR_BOX.size,
  );
}

/**
 * Rasterises what was drawn (not a matrix the renderer reports) with a 4-module quiet zone and
 * decodes it with jsQR: `n` modules a side (from the drawn squares when not given).
 */
function decodeDrawnQr(
  squares: { x: number; y: number; w: number; h: number }[],
  n?: number,
): string | undefined {
  const left = PAGE.width - QR_BOX.right - QR_BOX.size;
  const side0 = squares[0]?.w ?? 1;
  const modules = n ?? Math.round(QR_BOX.size / side0);
  const ms = QR_BOX.size / modules;
  const px = 4;
  const quiet = 4;
  const side = (modules + 2 * quiet) * px;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const r of squares) {
    const x0 = Math.round(((r.x - left) / ms + quiet) * px);
    const y0 = Math.round(((QR_BOX.bottom + QR_BOX.size - r.y - r.h) / ms + quiet) * px);
    const w = Math.round((r.w / ms) * px);
    for (let y = y0; y < y0 + w; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const i = (y * side + x) * 4;
        rgba[i] = 0;
        rgba[i + 1] = 0;
        rgba[i + 2] = 0;
      }
    }
  }
  return jsQR(rgba, side, side)?.data;
}

describe("through the app", () => {
  it("GET /v1/certificates/<code>.pdf draws a QR code that decodes to the certificate's verify URL", async (t) => {
    const h = await Harness.init(t);
    const db = h.database;
    const course = await insertCourse(db, { title: "Physics" });
    const batch = await insertBatch(db, course.id, { status: "completed" });
    const student = await h.asStudent();
    const enrolment = await insertEnrolment(db, student.id, batch.id);
    const code = newCertificateCode();
    await adminQuery(
      `INSERT INTO certificates (code, enrolment_id, user_id, batch_id, course_id, printed_name,
         course_title, batch_name, start_date, end_date, attendance_pct, issuer_name, source)
       VALUES ($1, $2, $3, $4, $5, 'Asha Rao', 'Physics', 'Morning', '2026-01-01', '2026-02-01',
               90, 'Issuer', 'rule')`,
      [code, enrolment.id, student.id, batch.id, course.id],
      db,
    );
    const display = formatCertificateCode(code);
    const res = await h.fetch(`/v1/certificates/${display}.pdf`);
    expect(res.status).toBe(200);
    const pdf = await parsePdf(new Uint8Array(await res.arrayBuffer()));
    const base = h.env.PUBLIC_VERIFY_BASE_URL ?? "http://127.0.0.1:8787";
    expect(decodeDrawnQr(qrSquares(pdf))).toBe(`${base}/v1/certificates/verify/${display}`);
  });
});
