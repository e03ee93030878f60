import { BRAND, oneLine } from "./format";
import type { RenderedEmail } from "./types";

/** Text made safe inside HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A paragraph, a link on its own line, or quoted user text (a support reply). */
export type Block = { p: string } | { link: string; label: string } | { quote: string };

export const hello = (name: string): Block => ({ p: `Hello ${name},` });

/**
 * Plain text plus a minimal HTML twin, as the existing transactional emails are: every value is
 * escaped in the HTML, no images or remote resources. Links arrive validated and normalised by
 * the template's schema. `unsubscribe` adds the footer and the RFC 8058 one-click headers that
 * marketing mail needs.
 */
export function email(
  subject: string,
  blocks: Block[],
  opts: { unsubscribe?: { link: string; why: string } } = {},
): RenderedEmail {
  const links: string[] = [];
  const text: string[] = [];
  const html: string[] = [];
  for (const block of blocks) {
    if ("p" in block) {
      text.push(block.p);
      html.push(`<p>${escapeHtml(block.p).replaceAll("\n", "<br>")}</p>`);
    } else if ("quote" in block) {
      text.push(
        block.quote
          .split("\n")
          .map((l) => `> ${l}`)
          .join("\n"),
      );
      html.push(`<blockquote>${escapeHtml(block.quote).replaceAll("\n", "<br>")}</blockquote>`);
    } else {
      links.push(block.link);
      text.push(`${block.label}: ${block.link}`);
      html.push(`<p><a href="${escapeHtml(block.link)}">${escapeHtml(block.label)}</a></p>`);
    }
  }
  // A subject is one header line: user text in it must not carry a line break.
  const safeSubject = oneLine(subject);
  let textFooter = `— ${BRAND}\n`;
  let htmlFooter = `<p>— ${BRAND}</p>`;
  let headers: Record<string, string> | undefined;
  if (opts.unsubscribe) {
    const { link, why } = opts.unsubscribe;
    links.push(link);
    textFooter += `\n${why} Unsubscribe: ${link}\n`;
    htmlFooter +=
      `<p><small>${escapeHtml(why)} ` + `<a href="${escapeHtml(link)}">Unsubscribe</a></small></p>`;
    headers = {
      "List-Unsubscribe": `<${link}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    };
  }
  return {
    subject: safeSubject,
    text: `${text.join("\n\n")}\n\n${textFooter}`,
    html:
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(safeSubject)}</title>` +
      `</head><body>${html.join("")}${htmlFooter}</body></html>`,
    links,
    ...(headers ? { headers } : {}),
  };
}
