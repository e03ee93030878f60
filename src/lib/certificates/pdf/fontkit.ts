/**
 * fontkit 2 (the maintained upstream) behind the fontkit 1 interface pdf-lib 1.17 expects.
 *
 * Why not @pdf-lib/fontkit, pdf-lib's own fork: it is a 917 KB minified bundle (a Buffer
 * polyfill, iconv-lite's tables, brotli) that pushed the Worker past 1 MiB gzip; its Indic
 * shaper throws "regeneratorRuntime is not defined" unless that global is installed; and its
 * TrueType subsetter writes a short `loca` table for glyph data it does not pad, which blanks
 * most glyphs of a subset of Noto Sans. fontkit 2 is ~150 KB gzip, shapes Devanagari and Tamil
 * with native generators, and keeps the source font's `loca` format.
 *
 * The one API difference pdf-lib meets: fontkit 2's Subset has encode() (bytes) where fontkit 1
 * had encodeStream() (a stream of chunks).
 */
import { create, type Font, type Subset } from "fontkit";

type ChunkListener = (chunk?: unknown) => void;

/** The stream pdf-lib reads a subset from: `.on("data").on("end").on("error")`, all chained. */
function onceStream(produce: () => Uint8Array) {
  const listeners: Record<string, ChunkListener[]> = {};
  let scheduled = false;
  const stream = {
    on(event: string, listener: ChunkListener) {
      const list = listeners[event] ?? [];
      list.push(listener);
      listeners[event] = list;
      if (!scheduled) {
        scheduled = true;
        // After the synchronous .on() chain has registered every listener.
        queueMicrotask(() => {
          try {
            const bytes = produce();
            for (const l of listeners.data ?? []) l(bytes);
            for (const l of listeners.end ?? []) l();
          } catch (err) {
            for (const l of listeners.error ?? []) l(err);
          }
        });
      }
      return stream;
    },
  };
  return stream;
}

export function createFont(bytes: Uint8Array): Font {
  const font = create(bytes as unknown as Parameters<typeof create>[0]);
  if (!("layout" in font)) throw new Error("font collections are not supported");
  const createSubset = font.createSubset.bind(font);
  font.createSubset = (): Subset => {
    const subset = createSubset();
    return Object.assign(subset, { encodeStream: () => onceStream(() => subset.encode()) });
  };
  return font;
}

/** Pass to PDFDocument.registerFontkit. */
export const pdfLibFontkit = { create: createFont };
