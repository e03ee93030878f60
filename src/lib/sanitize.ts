import xss, { type IWhiteList } from "xss";

// xss is CommonJS: named imports are not detected by every bundler, the default export is.
const { FilterXSS, safeAttrValue } = xss as unknown as typeof import("xss");

// js-xss is pure string processing (no DOM), so it runs in Workers. Allow-list of formatting
// tags a tutor or support agent needs; everything else is escaped, script-like bodies dropped.
const allowedTags = [
  "p",
  "br",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "s",
  "ul",
  "ol",
  "li",
  "blockquote",
  "code",
  "pre",
  "h3",
  "h4",
  "a",
];
const whiteList: IWhiteList = Object.fromEntries(
  allowedTags.map((tag) => [tag, tag === "a" ? ["href", "title"] : []]),
);

const filter = new FilterXSS({
  whiteList,
  stripIgnoreTag: true,
  stripIgnoreTagBody: ["script", "style", "iframe", "object", "embed", "noscript"],
  safeAttrValue: (tag, name, value, cssFilter) => {
    // Links may only point at web or mail addresses (no javascript:, data:, vbscript:).
    if (tag === "a" && name === "href" && !/^(https?:|mailto:)/i.test(value.trim())) return "";
    return safeAttrValue(tag, name, value, cssFilter);
  },
});

/** Sanitises user-supplied rich text (HTML) against XSS. */
export function sanitizeRichText(html: string): string {
  return filter.process(html);
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * The text of sanitised rich text, for search, notifications and "is it empty?": block ends
 * and `<br>` become line breaks, tags go, entities are decoded, blank lines collapse.
 */
export function richTextToPlain(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|li|blockquote|pre|h3|h4)>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code =
          name[1] === "x" || name[1] === "X"
            ? Number.parseInt(name.slice(2), 16)
            : Number.parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff && code !== 0 ? String.fromCodePoint(code) : "";
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
