// Plain text is the one type with no magic bytes, so it is the one a disguised HTML or SVG file
// would claim: decide it by what a browser or content sniffer would make of the whole buffer.

// ignoreBOM: false strips a leading BOM, so "\uFEFF<html>" is caught like "<html>" (also below).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Tab, LF, FF and CR are the only C0 controls in ordinary text; NUL also catches UTF-16. */
function hasForbiddenControl(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) {
      return true;
    }
  }
  return false;
}

/** The whole text, or null when it is not valid UTF-8 (a leading BOM is allowed and dropped). */
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

// WHATWG MIME Sniffing's HTML patterns ("sniff unknown type"), ended by anything that cannot
// continue a tag name (any doctype; "<!--" by anything: the spec wants a space or ">"), plus XML
// and SVG.
const MARKUP_START =
  /^[\s\uFEFF]*(?:<(?:!DOCTYPE|HTML|HEAD|SCRIPT|IFRAME|H1|DIV|FONT|TABLE|A|STYLE|TITLE|B|BODY|BR|P)(?![A-Za-z0-9])|<!--|<\?xml|<svg)/i;

// Older sniffers looked past the first tag: these anywhere mean a page or an image with script.
const MARKUP_ANYWHERE = /<(?:script|svg|html)/i;

/** True when the text is what a browser or sniffer could render as a page or SVG. */
export function looksLikeMarkup(text: string): boolean {
  return MARKUP_START.test(text) || MARKUP_ANYWHERE.test(text);
}

/** True for non-empty UTF-8 text with no stray controls that nothing would treat as markup. */
export function isPlainText(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || hasForbiddenControl(bytes)) return false;
  const text = decodeUtf8(bytes);
  return text !== null && !looksLikeMarkup(text);
}
