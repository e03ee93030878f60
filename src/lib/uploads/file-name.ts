// A display and download name built from the student's file name: nothing in it may act as a
// path, hide or reorder characters, clash with a Windows device, or claim a type we did not sniff.

const MAX_BASE_CODE_POINTS = 100;

// Cc: controls (CR/LF, DEL, C1). Cf: invisible format characters, which include the bidi
// overrides and isolates (U+202A–202E, U+2066–2069), zero-width ones, BOM and tag characters.
// Cs: lone surrogates, which no UTF-8 header or file system can hold.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;
// Whitespace (tabs and newlines included, so words stay apart) but BOM, which is invisible.
const SPACES = /[^\S\uFEFF]+/gu;
const FORBIDDEN = /[<>:"/\\|?*]/g;
// Only a short alphanumeric suffix with a letter is an extension ("v1.2" or "notes. draft" keep it).
const EXTENSION = /^(?=.*[A-Za-z])[A-Za-z0-9]{1,10}$/;
const SNIFFED_EXT = /^[a-z0-9]{1,10}$/;
// Windows refuses these as names with any extension (CON.txt, con.tar.gz); COM0 and COM¹ too.
const RESERVED = /^(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i;

/** What follows the last `/` or `\`: a name, never a path such as `../../etc/passwd`. */
function lastSegment(name: string): string {
  return name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
}

/** Drops dots and spaces at both ends, by a scan (a regex for the end would be quadratic). */
function trimDotsAndSpaces(name: string): string {
  const keep = (char: string | undefined) => char !== undefined && char !== "." && char !== " ";
  let start = 0;
  let end = name.length;
  while (start < end && !keep(name[start])) start++;
  while (end > start && !keep(name[end - 1])) end--;
  return name.slice(start, end);
}

function clean(name: string): string {
  const spaced = name.normalize("NFC").replace(SPACES, " ");
  const visible = spaced.replace(INVISIBLE, "").replace(FORBIDDEN, "");
  return trimDotsAndSpaces(visible.replace(/ {2,}/g, " "));
}

function withoutExtension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 && EXTENSION.test(name.slice(dot + 1)) ? name.slice(0, dot) : name;
}

/** At most 100 code points (a surrogate pair is one, so an emoji is never cut in half). */
function capLength(base: string): string {
  let capped = "";
  let count = 0;
  for (const codePoint of base) {
    if (count++ === MAX_BASE_CODE_POINTS) break;
    capped += codePoint;
  }
  return capped;
}

function avoidReserved(base: string): string {
  const stem = base.split(".")[0]?.trimEnd() ?? "";
  return RESERVED.test(stem) ? `_${base}` : base;
}

/**
 * A safe name for showing and downloading an attachment, ending in the sniffed `ext` (so
 * `report.png` holding a PDF becomes `report.pdf`; `a.tar.gz` becomes `a.tar.<ext>`).
 */
export function sanitizeFileName(name: string, ext: string): string {
  const extension = ext.replace(/^\./, "").toLowerCase();
  if (!SNIFFED_EXT.test(extension)) throw new TypeError(`not a sniffed extension: ${ext}`);
  const base = clean(capLength(withoutExtension(clean(lastSegment(name)))));
  return `${base === "" ? "attachment" : avoidReserved(base)}.${extension}`;
}
