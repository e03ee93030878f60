/**
 * Named templates in a reply, through the notification templates registry: the name must be
 * one of it (400 otherwise), the variables must pass its schema for the thread's channel (400
 * with the issues), and its own `transactional` flag decides quiet hours. Secret variables
 * (links with tokens) go to the outbox sealed and never into the message row: the thread's copy
 * is rendered with them masked.
 * Free-text replies are not a registry template: they go out as `conversation_reply`
 * ({ text, subject? }, transactional), which the outbox consumer renders itself (render.ts).
 */

import type { Channel } from "../../../db/schema";
import { type FieldError, validationFailed } from "../../../lib/errors";
import { getTemplate, renderTemplate } from "../../../lib/notifications/templates";

/** An admin's free-text reply on a thread: variables `{ text, subject? }`. */
export const REPLY_TEMPLATE = "conversation_reply";

const MASK = "https://example.invalid/redacted";

/**
 * What an admin may send from the inbox: messages about courses and classes. Account and
 * payment templates (password resets, invitations, receipts) are written only by the flows
 * that issue their tokens and facts; from the inbox they would be a way to send a convincing
 * "reset your password" link of the admin's choosing to anyone.
 */
export const INBOX_TEMPLATES: readonly string[] = [
  "lead_follow_up",
  "class_reminder",
  "schedule_change",
];

/** Made by the outbox for the recipient (src/lib/notifications/unsubscribe.ts), never given. */
const GENERATED = new Set(["unsubscribeLink"]);

export interface PreparedTemplate {
  transactional: boolean;
  /** Stored on the notification and shown to admins. */
  safe: Record<string, unknown>;
  /** Sealed by the outbox. */
  secrets: Record<string, unknown>;
  /** The thread's copy: what the person will read, secrets masked. */
  body: string;
  /** WhatsApp: the approved template's parameters (secrets masked). */
  params: string[] | null;
}

export function prepareTemplate(
  name: string,
  channel: Channel,
  variables: Record<string, unknown>,
): PreparedTemplate {
  const def = getTemplate(name);
  if (!def || !INBOX_TEMPLATES.includes(name)) {
    throw validationFailed([
      {
        path: "template.name",
        message: `${name} cannot be sent from the inbox (one of: ${INBOX_TEMPLATES.join(", ")})`,
      },
    ]);
  }
  for (const key of GENERATED) {
    if (Object.hasOwn(variables, key)) {
      throw validationFailed([
        { path: `template.variables.${key}`, message: "Made for each recipient; leave it out" },
      ]);
    }
  }
  const generated = Object.fromEntries(
    [...GENERATED]
      .filter((key) => (def.secretVariables as readonly string[]).includes(key))
      .map((key) => [key, MASK]),
  );
  const checked = renderTemplate(name, channel, { ...variables, ...generated });
  if (!checked.ok) {
    const errors: FieldError[] =
      checked.error === "unsupported_channel"
        ? [{ path: "template.name", message: `${name} cannot be sent by ${channel}` }]
        : checked.issues.map((i) => ({
            path: ["template", "variables", ...i.path].join("."),
            message: i.message,
          }));
    throw validationFailed(errors);
  }
  const secretNames = def.secretVariables as readonly string[];
  const safe: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  const masked: Record<string, unknown> = { ...generated };
  for (const [k, v] of Object.entries(variables)) {
    const secret = secretNames.includes(k);
    (secret ? secrets : safe)[k] = v;
    masked[k] = secret ? MASK : v;
  }
  const shown = renderTemplate(name, channel, masked);
  let body = `[${name}]`;
  let params: string[] | null = null;
  if (shown.ok) {
    const r = shown.rendered;
    if ("preview" in r) {
      body = r.preview;
      params = r.params;
    } else if ("subject" in r) {
      body = `${r.subject}\n\n${r.text}`;
    } else {
      body = r.text;
    }
  }
  return { transactional: def.transactional, safe, secrets, body: body.slice(0, 8000), params };
}
