import type * as z from "zod";
import type { TemplateName } from "./names";

export type Channel = "email" | "whatsapp" | "sms";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** Every link in the message, normalised (the dev outbox prints them). */
  links: string[];
  /** Extra headers, e.g. RFC 8058 one-click unsubscribe on marketing mail. */
  headers?: Record<string, string>;
}

/** An approved Meta template by name; `preview` is the body as the recipient will read it. */
export interface RenderedWhatsAppTemplate {
  name: string;
  language: string;
  params: string[];
  preview: string;
}

export interface RenderedSms {
  /** Key of the DLT-registered pattern the text was filled from (see SMS_TEMPLATES). */
  template: string;
  text: string;
  encoding: "GSM-7" | "UCS-2";
  segments: number;
}

export interface RenderedByChannel {
  email: RenderedEmail;
  whatsapp: RenderedWhatsAppTemplate;
  sms: RenderedSms;
}

export interface TemplateDefinition<V extends z.ZodType, N extends TemplateName = TemplateName> {
  name: N;
  description: string;
  /** false = marketing/non-transactional: subject to quiet hours (21:00–09:00 IST) and email unsubscribe */
  transactional: boolean;
  variables: V;
  /** variable names whose values are credentials (links with tokens): the outbox encrypts them at rest and purges after send */
  secretVariables: readonly (keyof z.infer<V>)[];
  channels: Partial<{ [C in Channel]: (v: z.infer<V>) => RenderedByChannel[C] }>;
  /** realistic sample for previews (Indian names, ₹ amounts, IST times) */
  sample: z.infer<V>;
}

/** Infers the variables' type for the channel renderers from the schema. */
export function defineTemplate<V extends z.ZodType, N extends TemplateName>(
  def: TemplateDefinition<V, N>,
): TemplateDefinition<V, N> {
  return def;
}
