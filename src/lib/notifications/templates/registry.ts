import type * as z from "zod";
import {
  accountInvitation,
  adminRequestDecision,
  adminRequestVerification,
  emailVerification,
  passwordReset,
} from "./definitions/account";
import { classReminder, scheduleChange } from "./definitions/classes";
import { leadFollowUp } from "./definitions/leads";
import { paymentReceipt, refund } from "./definitions/payments";
import { ticketReply, ticketSla, ticketStatus } from "./definitions/support";
import { type TemplateName, templateNames } from "./names";
import type { Channel, RenderedByChannel } from "./types";

const templates = {
  class_reminder: classReminder,
  schedule_change: scheduleChange,
  payment_receipt: paymentReceipt,
  refund,
  ticket_reply: ticketReply,
  ticket_status: ticketStatus,
  ticket_sla: ticketSla,
  lead_follow_up: leadFollowUp,
  email_verification: emailVerification,
  password_reset: passwordReset,
  account_invitation: accountInvitation,
  admin_request_verification: adminRequestVerification,
  admin_request_decision: adminRequestDecision,
} as const satisfies {
  // Each definition was checked against its own schema by `defineTemplate`; here, that the
  // registry is complete and every key is its template's name.
  [N in TemplateName]: {
    name: N;
    variables: z.ZodType;
    channels: Partial<Record<Channel, unknown>>;
  };
};

export type Templates = typeof templates;
/** Any one definition, with its own variable types. */
export type AnyTemplate = Templates[TemplateName];
/** The validated variables of a template, as its renderers take them. */
export type TemplateVariables<N extends TemplateName> = z.output<Templates[N]["variables"]>;
/** What a caller passes to `renderTemplate` (defaults may be left out). */
export type TemplateInput<N extends TemplateName> = z.input<Templates[N]["variables"]>;

export { templateNames };

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(templates, name);
}

export function getTemplate<N extends TemplateName>(name: N): Templates[N];
export function getTemplate(name: string): AnyTemplate | undefined;
export function getTemplate(name: string): AnyTemplate | undefined {
  return isTemplateName(name) ? templates[name] : undefined;
}

export function channelsOf(name: TemplateName): Channel[] {
  return (["email", "whatsapp", "sms"] as const).filter((c) => c in templates[name].channels);
}

/** A validation problem, without the offending value (it may be a token). */
export interface TemplateIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

export type RenderResult<R> =
  | { ok: true; rendered: R }
  | {
      ok: false;
      error: "unknown_template" | "unsupported_channel" | "invalid_variables";
      issues: TemplateIssue[];
    };

// The definitions are checked one by one by `defineTemplate`; here only the shape the
// dispatcher needs: the parsed variables are exactly what that template's renderers take.
interface Erased {
  variables: z.ZodType;
  channels: Partial<{ [C in Channel]: (v: unknown) => RenderedByChannel[C] }>;
}

/**
 * Validates the variables with the template's schema (unknown keys, wrong types and non-http(s)
 * links are refused), then renders one channel. Pure: no I/O, never throws for valid input.
 */
export function renderTemplate<C extends Channel>(
  name: string,
  channel: C,
  rawVariables: unknown,
): RenderResult<RenderedByChannel[C]> {
  const def = getTemplate(name) as Erased | undefined;
  if (!def) {
    return fail("unknown_template", [], `no template named ${JSON.stringify(name)}`);
  }
  const render = def.channels[channel];
  if (!render) return fail("unsupported_channel", [], `${name} has no ${channel} channel`);
  const parsed = def.variables.safeParse(rawVariables);
  if (!parsed.success) {
    return {
      ok: false,
      error: "invalid_variables",
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
        code: i.code,
        message: i.message,
      })),
    };
  }
  return { ok: true, rendered: render(parsed.data) };
}

function fail(
  error: "unknown_template" | "unsupported_channel",
  path: string[],
  message: string,
): RenderResult<never> {
  return { ok: false, error, issues: [{ path, code: error, message }] };
}

export type Preview = Partial<RenderedByChannel>;

/** Every channel of a template rendered from its sample (through validation, like a send). */
export function previewTemplate(name: string): Preview | undefined {
  const def = getTemplate(name);
  if (!def) return undefined;
  const preview: Preview = {};
  for (const channel of channelsOf(def.name)) {
    const result = renderTemplate(def.name, channel, def.sample);
    if (!result.ok) {
      throw new Error(`sample of ${def.name} is invalid: ${JSON.stringify(result.issues)}`);
    }
    Object.assign(preview, { [channel]: result.rendered });
  }
  return preview;
}
