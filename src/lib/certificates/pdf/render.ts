/**
 * The certificate as a one-page A4 landscape PDF. Loaded lazily (see ../pdf.ts): pdf-lib,
 * fontkit and the QR encoder are only evaluated when a certificate is rendered.
 *
 * Text is shaped by fontkit's OpenType layout (GSUB and GPOS, with its Indic shaper for
 * Devanagari and Tamil) and each glyph is placed at the position fontkit computed, so
 * conjuncts, reordered vowel signs and mark offsets come out as the font intends. pdf-lib's own
 * drawText would use the same glyphs but ignore the GPOS offsets (it advances by hmtx widths).
 */

import type { Font as FontkitFont } from "fontkit";
import {
  beginText,
  endMarkedContent,
  endText,
  fill,
  PDFDocument,
  type PDFFont,
  PDFHexString,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  rgb,
  setFillingRgbColor,
  setFontAndSize,
  setGraphicsState,
  setTextMatrix,
  showText,
} from "pdf-lib";
import { pdfLibFontkit } from "./fontkit";
import { FONT_PATHS } from "./fonts";
import { type CertificateLine, type CertificateLineRole, certificateLines } from "./lines";
import { qrModules } from "./qr";
import { type Script, scriptsIn, splitRuns, type Weight } from "./script";
import type { CertificateAssets, CertificateInput } from "./types";

/** A4 landscape in PDF points. */
export const PAGE = { width: 841.89, height: 595.28 } as const;

/** Where the QR code is drawn: bottom right, its modules as filled squares. */
export const QR_BOX = { right: 70, bottom: 70, size: 120 } as const;

interface Style {
  weight: Weight;
  size: number;
  /** Baseline, from the bottom of the page. */
  y: number;
  color: [number, number, number];
  align: "center" | "left";
  /** Left edge for left-aligned lines (default: the page margin). */
  x?: number;
  /** Widest the line may be before it is shrunk to fit. */
  maxWidth: number;
}

const INK: [number, number, number] = [0.12, 0.14, 0.2];
const ACCENT: [number, number, number] = [0.1, 0.25, 0.45];
const MUTED: [number, number, number] = [0.35, 0.37, 0.42];
const RED: [number, number, number] = [0.8, 0.05, 0.05];
const LEFT = 70;
const CENTER_WIDTH = 640;
const FOOTER_WIDTH = PAGE.width - LEFT - QR_BOX.right - QR_BOX.size - 30;

const STYLES: Record<Exclude<CertificateLineRole, "revokedMark">, Style> = {
  title: {
    weight: "bold",
    size: 34,
    y: 480,
    color: ACCENT,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
  lead: {
    weight: "regular",
    size: 15,
    y: 435,
    color: MUTED,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
  name: { weight: "bold", size: 32, y: 385, color: INK, align: "center", maxWidth: CENTER_WIDTH },
  completed: {
    weight: "regular",
    size: 15,
    y: 345,
    color: MUTED,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
  course: { weight: "bold", size: 22, y: 308, color: INK, align: "center", maxWidth: CENTER_WIDTH },
  batch: {
    weight: "regular",
    size: 13,
    y: 275,
    color: INK,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
  attendance: {
    weight: "regular",
    size: 13,
    y: 255,
    color: INK,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
  issued: {
    weight: "regular",
    size: 12,
    y: 140,
    color: INK,
    align: "left",
    maxWidth: FOOTER_WIDTH,
  },
  code: { weight: "bold", size: 12, y: 120, color: INK, align: "left", maxWidth: FOOTER_WIDTH },
  verify: {
    weight: "regular",
    size: 10,
    y: 100,
    color: MUTED,
    align: "left",
    maxWidth: FOOTER_WIDTH,
  },
  scan: {
    weight: "regular",
    size: 9,
    y: QR_BOX.bottom - 16,
    color: MUTED,
    align: "left",
    x: PAGE.width - QR_BOX.right - QR_BOX.size,
    maxWidth: QR_BOX.size,
  },
  revokedDetail: {
    weight: "bold",
    size: 14,
    y: 215,
    color: RED,
    align: "center",
    maxWidth: CENTER_WIDTH,
  },
};

type FontKey = `${Script}-${Weight}`;

interface LoadedFont {
  pdf: PDFFont;
  /** The fontkit font inside pdf-lib's embedder: the one whose glyphs are subset and drawn. */
  fk: FontkitFont;
  key: PDFName;
}

/** One glyph as drawn: the subset glyph id (hex, as in the content stream) and its placement. */
interface PlacedGlyph {
  font: LoadedFont;
  hex: string;
  x: number;
  y: number;
}

interface ShapedLine {
  glyphs: PlacedGlyph[];
  width: number;
}

export interface RenderedCertificate {
  pdf: Uint8Array;
  /** What was drawn, for tests and callers that want to check it. */
  lines: CertificateLine[];
  qr: { modules: boolean[][]; x: number; y: number; moduleSize: number };
}

export async function renderCertificatePdf(
  input: CertificateInput,
  assets: CertificateAssets,
): Promise<Uint8Array> {
  return (await renderCertificate(input, assets)).pdf;
}

export async function renderCertificate(
  input: CertificateInput,
  assets: CertificateAssets,
): Promise<RenderedCertificate> {
  const lines = certificateLines(input);
  const doc = await PDFDocument.create();
  doc.registerFontkit(pdfLibFontkit as unknown as Parameters<PDFDocument["registerFontkit"]>[0]);
  doc.setTitle(`Certificate ${input.code}${input.revoked ? " (REVOKED)" : ""}`);
  doc.setAuthor(input.issuerName);
  doc.setCreator("coaching-api");
  doc.setProducer("coaching-api (pdf-lib)");
  doc.setCreationDate(input.issuedAt);
  doc.setModificationDate(input.revoked?.at ?? input.issuedAt);
  const page = doc.addPage([PAGE.width, PAGE.height]);

  // Only the fonts the text needs are fetched and embedded (as subsets).
  const needed = new Set<FontKey>(["latin-regular", "latin-bold"]);
  for (const line of lines) {
    const weight = line.role === "revokedMark" ? "bold" : STYLES[line.role].weight;
    for (const script of scriptsIn(line.text)) needed.add(`${script}-${weight}`);
  }
  const fonts = await loadFonts(doc, page, needed, assets);

  drawFrame(page);
  for (const line of lines) {
    if (line.role === "revokedMark") continue;
    drawLine(page, fonts, line.text, STYLES[line.role]);
  }
  const qr = drawQr(page, input.verifyUrl);
  const mark = lines.find((l) => l.role === "revokedMark");
  if (mark) drawRevokedMark(page, doc, fonts, mark.text);

  const pdf = await doc.save({ useObjectStreams: false });
  return { pdf, lines, qr };
}

async function loadFonts(
  doc: PDFDocument,
  page: PDFPage,
  needed: Set<FontKey>,
  assets: CertificateAssets,
): Promise<Map<FontKey, LoadedFont>> {
  const entries = await Promise.all(
    [...needed].map(async (key) => {
      const [script, weight] = key.split("-") as [Script, Weight];
      const path = FONT_PATHS[script][weight];
      const bytes = new Uint8Array(await assets.fetchAsset(path));
      // A missing asset comes back as a small error body, not a font: say which file.
      if (bytes.byteLength < 1024) throw new Error(`certificate font ${path} is missing`);
      const pdf = await doc.embedFont(bytes, { subset: true, customName: subsetName(path) });
      const fk = (pdf as unknown as { embedder?: { font?: FontkitFont } }).embedder?.font;
      if (!fk || typeof fk.layout !== "function") {
        throw new Error("pdf-lib's font embedder no longer exposes its fontkit font");
      }
      const loaded: LoadedFont = { pdf, fk, key: page.node.newFontDictionary(pdf.name, pdf.ref) };
      return [key, loaded] as const;
    }),
  );
  return new Map(entries);
}

/**
 * "ABCDEF+NotoSans-Regular": the six-letter tag PDF readers expect on a subset font's name
 * (ISO 32000-1 §9.6.4); pdf-lib's default is the bare name plus a number.
 */
function subsetName(path: string): string {
  const base = path.replace(/^.*\//, "").replace(/\.ttf$/, "");
  const tag = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
    String.fromCharCode(65 + (b % 26)),
  ).join("");
  return `${tag}+${base}`;
}

function requireFont(fonts: Map<FontKey, LoadedFont>, key: FontKey): LoadedFont {
  const font = fonts.get(key);
  if (!font) throw new Error(`font ${key} not loaded`);
  return font;
}

/** Shapes a line at 1pt: glyph positions are scaled by the size when drawn. */
function shapeLine(fonts: Map<FontKey, LoadedFont>, text: string, weight: Weight): ShapedLine {
  const covers = (script: Script, cp: number) => {
    const f = fonts.get(`${script}-${weight}`);
    return f ? f.fk.hasGlyphForCodePoint(cp) : false;
  };
  const glyphs: PlacedGlyph[] = [];
  let pen = 0;
  for (const run of splitRuns(text, covers)) {
    const font = requireFont(fonts, `${run.script}-${weight}`);
    // encodeText adds the glyphs to the embedded subset and returns their subset ids; layout
    // is deterministic, so a second layout of the same text gives the positions of those glyphs.
    const hex = font.pdf.encodeText(run.text).asString();
    const layout = font.fk.layout(run.text);
    if (hex.length !== layout.glyphs.length * 4) throw new Error("glyph count mismatch");
    const scale = 1 / font.fk.unitsPerEm;
    layout.positions.forEach((p, i) => {
      glyphs.push({
        font,
        hex: hex.slice(i * 4, i * 4 + 4),
        x: pen + p.xOffset * scale,
        y: p.yOffset * scale,
      });
      pen += p.xAdvance * scale;
    });
  }
  return { glyphs, width: pen };
}

/** Marked content with /ActualText, so copying or searching the text gives the logical string. */
function actualText(text: string): PDFOperator {
  return PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [
    PDFName.of("Span"),
    // An inline property list; pdf-lib writes string operands verbatim.
    `<</ActualText ${PDFHexString.fromText(text).toString()}>>`,
  ]);
}

/** One line as one text object: BT, then each glyph placed with Tm and shown with Tj. */
function drawShaped(
  page: PDFPage,
  shaped: ShapedLine,
  text: string,
  o: { x: number; y: number; size: number; color: [number, number, number]; angle?: number },
) {
  const cos = Math.cos(o.angle ?? 0);
  const sin = Math.sin(o.angle ?? 0);
  const ops: PDFOperator[] = [actualText(text), beginText(), setFillingRgbColor(...o.color)];
  let current: LoadedFont | undefined;
  for (const g of shaped.glyphs) {
    if (g.font !== current) {
      ops.push(setFontAndSize(g.font.key, o.size));
      current = g.font;
    }
    const dx = g.x * o.size;
    const dy = g.y * o.size;
    const x = o.x + dx * cos - dy * sin;
    const y = o.y + dx * sin + dy * cos;
    ops.push(
      setTextMatrix(round(cos), round(sin), round(-sin), round(cos), round(x), round(y)),
      showText(PDFHexString.of(g.hex)),
    );
  }
  ops.push(endText(), endMarkedContent());
  page.pushOperators(...ops);
}

function drawLine(page: PDFPage, fonts: Map<FontKey, LoadedFont>, text: string, style: Style) {
  if (!text) return;
  const shaped = shapeLine(fonts, text, style.weight);
  const size = Math.min(style.size, style.maxWidth / Math.max(shaped.width, 1e-6));
  const width = shaped.width * size;
  const x = style.align === "center" ? (PAGE.width - width) / 2 : (style.x ?? LEFT);
  drawShaped(page, shaped, text, { x, y: style.y, size, color: style.color });
}

function drawFrame(page: PDFPage) {
  const border = rgb(...ACCENT);
  page.drawRectangle({
    x: 24,
    y: 24,
    width: PAGE.width - 48,
    height: PAGE.height - 48,
    borderColor: border,
    borderWidth: 3,
  });
  page.drawRectangle({
    x: 32,
    y: 32,
    width: PAGE.width - 64,
    height: PAGE.height - 64,
    borderColor: border,
    borderWidth: 0.75,
  });
  page.drawLine({
    start: { x: PAGE.width / 2 - 120, y: 462 },
    end: { x: PAGE.width / 2 + 120, y: 462 },
    thickness: 1,
    color: border,
  });
}

/** The QR code as one path of filled squares (one `re` per dark module). */
function drawQr(page: PDFPage, text: string): RenderedCertificate["qr"] {
  const modules = qrModules(text);
  const n = modules.length;
  const moduleSize = QR_BOX.size / n;
  const x = PAGE.width - QR_BOX.right - QR_BOX.size;
  const top = QR_BOX.bottom + QR_BOX.size;
  const ops: PDFOperator[] = [pushGraphicsState(), setFillingRgbColor(0, 0, 0)];
  modules.forEach((row, r) => {
    row.forEach((dark, c) => {
      if (dark) {
        ops.push(
          rectangle(
            round(x + c * moduleSize),
            round(top - (r + 1) * moduleSize),
            round(moduleSize),
            round(moduleSize),
          ),
        );
      }
    });
  });
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
  return { modules, x, y: QR_BOX.bottom, moduleSize };
}

/** A large diagonal red REVOKED across the page, half transparent so the content stays legible. */
function drawRevokedMark(
  page: PDFPage,
  doc: PDFDocument,
  fonts: Map<FontKey, LoadedFont>,
  text: string,
) {
  const shaped = shapeLine(fonts, text, "bold");
  const size = 120;
  const angle = Math.atan2(PAGE.height, PAGE.width);
  const width = shaped.width * size;
  // Centre the text's box (baseline shifted down by ~ half the cap height) on the page centre.
  const cx = PAGE.width / 2;
  const cy = PAGE.height / 2;
  const along = -width / 2;
  const across = -0.36 * size;
  const x = cx + along * Math.cos(angle) - across * Math.sin(angle);
  const y = cy + along * Math.sin(angle) + across * Math.cos(angle);
  const gs = page.node.newExtGState(
    "GS",
    doc.context.obj({ Type: "ExtGState", ca: 0.45, CA: 0.45 }),
  );
  page.pushOperators(pushGraphicsState(), setGraphicsState(gs));
  drawShaped(page, shaped, text, { x, y, size, color: RED, angle });
  page.pushOperators(popGraphicsState());
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
