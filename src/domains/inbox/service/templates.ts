/**
 * What the inbox needs to know of a notification template before the registry
 * (src/lib/notifications/templates, another branch) is on main: whether it is transactional
 * and which variables are secrets. MERGE NOTE: replace `templateInfo` with the registry's
 * `getTemplate(name)` (and validate `variables` with its schema; unknown names become 400), and
 * add `conversation_reply` ({ text, subject? }, transactional) to the registry.
 */
export interface TemplateInfo {
  transactional: boolean;
  /** Sealed at rest by the outbox, never stored on the message or echoed back. */
  secretVariables: readonly string[];
}

/** An admin's free-text reply on a thread: variables `{ text, subject? }`. */
export const REPLY_TEMPLATE = "conversation_reply";

const KNOWN: Record<string, TemplateInfo> = {
  [REPLY_TEMPLATE]: { transactional: true, secretVariables: [] },
  lead_follow_up: { transactional: false, secretVariables: ["unsubscribeLink"] },
};

/** Unknown names count as marketing: quiet hours and unsubscribes apply (the safe side). */
export function templateInfo(name: string): TemplateInfo {
  return KNOWN[name] ?? { transactional: false, secretVariables: [] };
}

/** Splits an admin's variables into what may be stored and shown, and the secrets. */
export function splitVariables(
  info: TemplateInfo,
  variables: Record<string, unknown>,
): { safe: Record<string, unknown>; secrets: Record<string, unknown> } {
  const safe: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(variables)) {
    (info.secretVariables.includes(k) ? secrets : safe)[k] = v;
  }
  return { safe, secrets };
}

/** The thread's record of a template message (searchable; the rendering is the consumer's). */
export function templateSummary(name: string, safe: Record<string, unknown>): string {
  const values = Object.entries(safe)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join("; ");
  return `[${name}]${values ? ` ${values}` : ""}`.slice(0, 4000);
}
