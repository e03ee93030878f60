/**
 * Turns an outbox row into what its channel's provider sends. `conversation_reply` is an
 * admin's free text in an inbox thread; every other name is a template of the registry.
 */
import type { Channel } from "../../db/schema";
import { escapeHtml, renderTemplate } from "./templates";

export type Rendered =
  | {
      channel: "email";
      subject: string;
      text: string;
      html: string;
      /** e.g. List-Unsubscribe on marketing mail. */
      headers?: Record<string, string>;
    }
  | {
      channel: "whatsapp";
      text: string;
      template?: { name: string; language: string; params: string[] };
    }
  | { channel: "sms"; text: string };

export interface RenderOptions {
  brand: string;
  whatsappLanguage: string;
}

export type RenderResult = { ok: true; value: Rendered } | { ok: false; error: string };

export function renderNotification(
  channel: Channel,
  template: string,
  variables: Record<string, unknown>,
  opts: RenderOptions,
): RenderResult {
  if (template === "conversation_reply") return renderReply(channel, variables, opts);
  switch (channel) {
    case "email": {
      const r = renderTemplate(template, "email", variables);
      if (!r.ok) return failed(template, r);
      const { subject, text, html, headers } = r.rendered;
      return { ok: true, value: { channel, subject, text, html, headers } };
    }
    case "whatsapp": {
      const r = renderTemplate(template, "whatsapp", variables);
      if (!r.ok) return failed(template, r);
      const { name, params, preview } = r.rendered;
      return {
        ok: true,
        value: {
          channel,
          text: preview,
          template: { name, language: opts.whatsappLanguage, params },
        },
      };
    }
    case "sms": {
      const r = renderTemplate(template, "sms", variables);
      if (!r.ok) return failed(template, r);
      return { ok: true, value: { channel, text: r.rendered.text } };
    }
  }
}

function renderReply(
  channel: Channel,
  variables: Record<string, unknown>,
  opts: RenderOptions,
): RenderResult {
  const text = typeof variables.text === "string" ? variables.text : "";
  if (!text.trim()) return { ok: false, error: "conversation_reply without text" };
  if (channel === "email") {
    const subject =
      typeof variables.subject === "string" && variables.subject.trim()
        ? variables.subject
        : `A message from ${opts.brand}`;
    const html =
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title>` +
      `</head><body>${text
        .split(/\n{2,}/)
        .map((p) => `<p>${escapeHtml(p).replaceAll("\n", "<br>")}</p>`)
        .join("")}</body></html>`;
    return { ok: true, value: { channel, subject, text, html } };
  }
  return { ok: true, value: { channel, text } };
}

/** Names the problem without the values (a variable may be a token). */
function failed(
  template: string,
  r: { error: string; issues: { path: (string | number)[]; code: string }[] },
): RenderResult {
  const where = r.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.code}`).join(", ");
  return { ok: false, error: `${template}: ${r.error}${where ? ` (${where})` : ""}` };
}

/** Checks a request before it is queued: a template that cannot render is a bug, not a send. */
export function checkRenderable(
  channel: Channel,
  template: string,
  variables: Record<string, unknown>,
): void {
  const result = renderNotification(channel, template, variables, {
    brand: "check",
    whatsappLanguage: "en",
  });
  if (!result.ok) throw new Error(`notification cannot be rendered: ${result.error}`);
}
