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
