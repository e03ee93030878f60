import { oneLine, truncate } from "./format";
import type { RenderedWhatsAppTemplate } from "./types";

export const WHATSAPP_LANGUAGE = "en";

/**
 * The Meta message templates the WhatsApp channel sends, exactly as ops must register them
 * (language English, code `en`; category as given; body only, no header, footer or buttons).
 * Placeholders are positional. A changed body is a new template: bump the `_vN` suffix, get it
 * approved, then switch the code over. Meta refuses a body that starts or ends with a
 * placeholder, hence the closing sentences.
 */
export const WHATSAPP_TEMPLATES = {
  class_reminder_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, this is a reminder that your class {{2}} of {{3}} starts on {{4}} and runs " +
      "for {{5}} minutes. Join it from your schedule: {{6}}\n\nSee you in class.",
  },
  schedule_change_rescheduled_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, a class of {{2}} has moved: {{3}} is now on {{4}} (was {{5}}), {{6}} " +
      "minutes. See your schedule: {{7}}\n\nSorry for the change.",
  },
  schedule_change_updated_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, a class of {{2}} has changed: {{3}} is on {{4}}, {{5}} minutes. " +
      "See your schedule: {{6}}\n\nSorry for the change.",
  },
  schedule_change_cancelled_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, the class {{2}} of {{3}} on {{4}} is cancelled. See your schedule: {{5}}" +
      "\n\nSorry for the change.",
  },
  payment_receipt_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, we received your payment of {{2}} for {{3}} ({{4}}). Your seat is " +
      "confirmed. Your GST invoice is {{5}}; sign in to download it: {{6}}\n\nThank you.",
  },
  refund_initiated_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, we have started a refund of {{2}} for {{3}} ({{4}}) to the account you " +
      "paid from. Banks usually take 5 to 7 working days.\n\nWe have emailed you the details.",
  },
  refund_processed_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, your refund of {{2}} for {{3}} ({{4}}) has been processed to the account " +
      "you paid from. Banks usually take 5 to 7 working days to show it.\n\nThank you.",
  },
  ticket_reply_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, our support team replied to your ticket {{2}} ({{3}}):\n\n{{4}}\n\n" +
      "Read the full reply and answer it here: {{5}}\n\nThank you.",
  },
  ticket_status_v1: {
    category: "UTILITY",
    body:
      "Hello {{1}}, your support ticket {{2}} ({{3}}) is now {{4}}. See the details: {{5}}" +
      "\n\nThank you for your patience.",
  },
  lead_follow_up_v1: {
    category: "MARKETING",
    body:
      "Hello {{1}}, thank you for your interest in {{2}}. {{3}} from our team would be glad to " +
      "help you choose a batch and answer your questions. See the course and upcoming " +
      "batches: {{4}}\n\nWe hope to see you in class soon.",
  },
} as const satisfies Record<string, { category: "UTILITY" | "MARKETING"; body: string }>;

export type WhatsAppTemplateName = keyof typeof WHATSAPP_TEMPLATES;

/** Meta's limit on the filled body. */
export const WHATSAPP_BODY_MAX = 1024;

const DEFAULT_PARAM_MAX = 100;

/** Plain text (cut at 100 characters), text with its own limit, or a link (never cut). */
export type WhatsAppParam = string | { text: string; max: number } | { link: string };

/**
 * A parameter as Meta accepts it: no newline or tab and never more than four spaces in a row
 * (every whitespace run becomes one space), not empty.
 */
export function whatsappParam(value: string, max = DEFAULT_PARAM_MAX): string {
  const clean = truncate(oneLine(value), max);
  return clean === "" ? "-" : clean;
}

export function placeholderCount(body: string): number {
  return new Set(body.match(/\{\{\d+\}\}/g)).size;
}

export function whatsapp(
  name: WhatsAppTemplateName,
  params: WhatsAppParam[],
): RenderedWhatsAppTemplate {
  const { body } = WHATSAPP_TEMPLATES[name];
  if (placeholderCount(body) !== params.length) {
    throw new Error(`WhatsApp template ${name} takes ${placeholderCount(body)} parameters`);
  }
  const values = params.map((p) =>
    typeof p === "string"
      ? whatsappParam(p)
      : "link" in p
        ? whatsappParam(p.link, Number.POSITIVE_INFINITY)
        : whatsappParam(p.text, p.max),
  );
  const preview = body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => values[Number(n) - 1] ?? "");
  return { name, language: WHATSAPP_LANGUAGE, params: values, preview };
}
