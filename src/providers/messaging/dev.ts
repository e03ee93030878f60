/**
 * Development stand-ins for every channel (`npm run dev`, and tests by default): nothing leaves
 * the isolate. Each send prints one JSON console line (channel, recipient, subject or template,
 * the links in the message) and lands in `devMessages`, where tests read tokens back.
 *
 * Deterministic failures, for walking through retries locally (tests and the README rely on
 * this): an email whose local part starts with `fail` (`fail@example.in`, `failing.ravi@…`) or a
 * phone number ending in `0000` fails with a retryable 503-like outcome on its first 3 sends
 * per idempotencyKey, and succeeds from the 4th. A key that already succeeded answers the same
 * providerMessageId again, like a provider honouring an idempotency key.
 */
import type {
  EmailChannel,
  EmailSend,
  SendOutcome,
  SmsChannel,
  SmsSend,
  WhatsAppChannel,
  WhatsAppSend,
} from "./types";

/** Sends per idempotencyKey that fail for a `fail…` address or a `…0000` number. */
export const DEV_FAILURES_BEFORE_SUCCESS = 3;
export const DEV_FAILURE_CODE = "DEV_SIMULATED_503";

export interface DevMessage {
  channel: "email" | "whatsapp" | "sms";
  provider: "dev";
  providerMessageId: string;
  idempotencyKey: string;
  to: string;
  subject?: string;
  /** WhatsApp templates: the template's name, language and body parameters. */
  template?: { name: string; language: string; params: string[] };
  /** The text a person would read (email text, WhatsApp body, SMS body). */
  text: string;
  html?: string;
  tags?: { name: string; value: string }[];
  headers?: Record<string, string>;
  statusCallbackUrl?: string;
  links: string[];
  /** Sends of this key so far, failed ones included. */
  attempts: number;
  sentAt: string;
}

/** A Map that forgets its oldest entries past `limit` (isolate memory is not storage). */
class BoundedMap<V> {
  readonly entries = new Map<string, V>();
  constructor(readonly limit: number) {}
  get(key: string): V | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: V) {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }
  clear() {
    this.entries.clear();
  }
}

const attempts = new BoundedMap<number>(1000);

/**
 * The messages the development channels accepted in this isolate, keyed by idempotencyKey
 * (bounded, memory only): what a developer would have received.
 */
export const devMessages = {
  messages: new BoundedMap<DevMessage>(500),
  get(idempotencyKey: string): DevMessage | undefined {
    return this.messages.get(idempotencyKey);
  },
  /** Newest last; optionally only those to one recipient. */
  list(to?: string): DevMessage[] {
    return [...this.messages.entries.values()].filter((m) => to === undefined || m.to === to);
  },
  clear() {
    this.messages.clear();
    attempts.clear();
  },
};

const LINK = /https?:\/\/[^\s<>"'()]+/g;

/** Every http(s) link in the texts, in order, without trailing punctuation, once each. */
export function linksIn(...texts: (string | undefined)[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of text?.match(LINK) ?? []) found.add(match.replace(/[.,;:!?]+$/, ""));
  }
  return [...found];
}

/** Whether the dev channels fail this recipient's first sends (see the file comment). */
export function devFailsFirst(channel: DevMessage["channel"], to: string): boolean {
  if (channel === "email") return /^fail/i.test(to.trim());
  return to.trim().endsWith("0000");
}

type Draft = Omit<DevMessage, "provider" | "providerMessageId" | "attempts" | "sentAt">;

function deliver(draft: Draft): SendOutcome {
  const n = (attempts.get(draft.idempotencyKey) ?? 0) + 1;
  attempts.set(draft.idempotencyKey, n);
  const line = {
    level: "info",
    msg: `${draft.channel} (dev)`,
    channel: draft.channel,
    to: draft.to,
    ...(draft.subject !== undefined ? { subject: draft.subject } : {}),
    ...(draft.template ? { template: draft.template.name } : {}),
    links: draft.links,
  };
  const previous = devMessages.get(draft.idempotencyKey);
  if (previous) {
    previous.attempts = n;
    console.info(JSON.stringify({ ...line, replay: true }));
    return { ok: true, providerMessageId: previous.providerMessageId };
  }
  if (devFailsFirst(draft.channel, draft.to) && n <= DEV_FAILURES_BEFORE_SUCCESS) {
    console.info(JSON.stringify({ ...line, level: "warn", simulatedFailure: n }));
    return {
      ok: false,
      retryable: true,
      status: 503,
      code: DEV_FAILURE_CODE,
      error: `dev: simulated 503 (send ${n} of ${DEV_FAILURES_BEFORE_SUCCESS} that fail)`,
    };
  }
  const message: DevMessage = {
    ...draft,
    provider: "dev",
    providerMessageId: `dev-${crypto.randomUUID()}`,
    attempts: n,
    sentAt: new Date().toISOString(),
  };
  devMessages.messages.set(draft.idempotencyKey, message);
  console.info(JSON.stringify(line));
  return { ok: true, providerMessageId: message.providerMessageId };
}

export class DevEmailChannel implements EmailChannel {
  readonly provider = "dev";
  async send(m: EmailSend): Promise<SendOutcome> {
    return deliver({
      channel: "email",
      idempotencyKey: m.idempotencyKey,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      tags: m.tags,
      headers: m.headers,
      links: linksIn(m.text, m.html),
    });
  }
}

export class DevWhatsAppChannel implements WhatsAppChannel {
  readonly provider = "dev";
  async send(m: WhatsAppSend): Promise<SendOutcome> {
    if (m.kind === "text") {
      return deliver({
        channel: "whatsapp",
        idempotencyKey: m.idempotencyKey,
        to: m.to,
        text: m.body,
        links: linksIn(m.body),
      });
    }
    return deliver({
      channel: "whatsapp",
      idempotencyKey: m.idempotencyKey,
      to: m.to,
      template: { name: m.name, language: m.language, params: [...m.params] },
      text: m.params.join("\n"),
      links: linksIn(...m.params),
    });
  }
}

export class DevSmsChannel implements SmsChannel {
  readonly provider = "dev";
  async send(m: SmsSend): Promise<SendOutcome> {
    return deliver({
      channel: "sms",
      idempotencyKey: m.idempotencyKey,
      to: m.to,
      text: m.body,
      statusCallbackUrl: m.statusCallbackUrl,
      links: linksIn(m.body),
    });
  }
}
