import { isPlainText } from "./text";
import type { SniffedType } from "./types";

// Signatures sit in the first bytes; only the ISO BMFF brand list reads further, up to this.
const HEADER_BYTES = 4096;

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87A = ascii("GIF87a");
const GIF89A = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const FTYP = ascii("ftyp");
const PDF = ascii("%PDF-");

const PNG_TYPE: SniffedType = { mime: "image/png", ext: "png", kind: "image" };
const JPEG_TYPE: SniffedType = { mime: "image/jpeg", ext: "jpg", kind: "image" };
const GIF_TYPE: SniffedType = { mime: "image/gif", ext: "gif", kind: "image" };
const WEBP_TYPE: SniffedType = { mime: "image/webp", ext: "webp", kind: "image" };
const HEIC_TYPE: SniffedType = { mime: "image/heic", ext: "heic", kind: "image" };
const HEIF_TYPE: SniffedType = { mime: "image/heif", ext: "heif", kind: "image" };
const AVIF_TYPE: SniffedType = { mime: "image/avif", ext: "avif", kind: "image" };
const PDF_TYPE: SniffedType = { mime: "application/pdf", ext: "pdf", kind: "pdf" };
const TEXT_TYPE: SniffedType = { mime: "text/plain", ext: "txt", kind: "text" };

function startsWithAt(bytes: Uint8Array, offset: number, signature: readonly number[]): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function brandAt(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

// HEVC-coded HEIF brands (image/heic); mif1/msf1 are the codec-neutral HEIF ones (image/heif).
const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const HEIF_BRANDS = new Set(["mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

/** The type named by a brand, or null for brands we do not take (MP4, QuickTime, ...). */
function typeOfBrand(brand: string): SniffedType | null {
  if (AVIF_BRANDS.has(brand)) return AVIF_TYPE;
  if (HEIC_BRANDS.has(brand)) return HEIC_TYPE;
  if (HEIF_BRANDS.has(brand)) return HEIF_TYPE;
  return null;
}

/**
 * HEIC/HEIF/AVIF: an ISO BMFF `ftyp` box first. A generic major brand (mif1/msf1) is refined by
 * the compatible brands, where encoders put avif or heic.
 */
function sniffIsoBmff(bytes: Uint8Array): SniffedType | null {
  if (!startsWithAt(bytes, 4, FTYP) || bytes.length < 16) return null;
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (boxSize < 16) return null;
  const major = typeOfBrand(brandAt(bytes, 8));
  if (major !== HEIF_TYPE) return major;
  const end = Math.min(boxSize, bytes.length, HEADER_BYTES);
  for (let offset = 16; offset + 4 <= end; offset += 4) {
    const compatible = typeOfBrand(brandAt(bytes, offset));
    if (compatible === AVIF_TYPE || compatible === HEIC_TYPE) return compatible;
  }
  return HEIF_TYPE;
}

/** PDF only with `%PDF-` and a version digit at byte 0: see `sniffFileType`. */
function isPdf(bytes: Uint8Array): boolean {
  const digit = bytes[5];
  return startsWithAt(bytes, 0, PDF) && digit !== undefined && digit >= 0x30 && digit <= 0x39;
}

function sniffBinary(bytes: Uint8Array): SniffedType | null {
  if (startsWithAt(bytes, 0, PNG)) return PNG_TYPE;
  if (startsWithAt(bytes, 0, JPEG)) return JPEG_TYPE;
  if (startsWithAt(bytes, 0, GIF87A) || startsWithAt(bytes, 0, GIF89A)) return GIF_TYPE;
  if (startsWithAt(bytes, 0, RIFF) && startsWithAt(bytes, 8, WEBP)) return WEBP_TYPE;
  if (isPdf(bytes)) return PDF_TYPE;
  return sniffIsoBmff(bytes);
}

/**
 * The file's type from its content alone (never its name or Content-Type), or null when it is
 * not an allowed type. PDF must start at byte 0: readers accept up to 1 KB of junk before
 * `%PDF-`, but that junk could be an HTML page riding along as a "PDF", and real PDF writers
 * put the header first. Text is UTF-8 that no browser would render as HTML or SVG.
 */
export function sniffFileType(bytes: Uint8Array): SniffedType | null {
  if (bytes.length === 0) return null;
  const binary = sniffBinary(bytes.subarray(0, HEADER_BYTES));
  if (binary) return { ...binary };
  return isPlainText(bytes) ? { ...TEXT_TYPE } : null;
}
