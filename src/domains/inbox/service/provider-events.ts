/**
 * From the providers' parsed payloads (src/providers/*) to the inbox's webhook items, each with
 * the event key it is recorded under once:
 *   - WhatsApp: `message:<wamid>` for an inbound message, `status:<wamid>:<status>` for a status;
 *   - Twilio: `inbound:<MessageSid>`, `status:<MessageSid>:<Twilio's status>`;
 *   - Resend: the `svix-id`, which Svix keeps across retries of one event.
 * What cannot be stored (a sender that is not an E.164 number) is left out, not retried.
 */
import { normalizePhone } from "../../../lib/phone";
import type { ResendEvent } from "../../../providers/resend";
import type { TwilioWebhook } from "../../../providers/twilio";
import type { WhatsAppWebhook } from "../../../providers/whatsapp";
import type { WebhookItem } from "./inbound";

const E164 = /^\+[1-9][0-9]{7,14}$/;

export function whatsappItems(webhook: WhatsAppWebhook): WebhookItem[] {
  return whatsappItemsRaw(webhook).map(withoutNul);
}

function whatsappItemsRaw(webhook: WhatsAppWebhook): WebhookItem[] {
  const items: WebhookItem[] = [];
  for (const m of webhook.inbound) {
    if (!E164.test(m.from)) continue;
    items.push({
      key: `message:${m.id}`,
      event: `message.${m.type}`,
      kind: "inbound",
      input: {
        channel: "whatsapp",
        provider: "whatsapp",
        providerMessageId: m.id,
        from: m.from,
        text: m.text,
        type: m.type,
        name: m.name,
        at: m.timestamp,
      },
    });
  }
  for (const s of webhook.statuses) {
    items.push({
      key: `status:${s.id}:${s.status}`,
      event: `status.${s.status}`,
      kind: "status",
      input: {
        provider: "whatsapp",
        providerMessageId: s.id,
        status: s.status,
        error: s.error,
      },
    });
  }
  return items;
}

export function twilioItem(webhook: TwilioWebhook): WebhookItem | null {
  const item = twilioItemRaw(webhook);
  return item ? withoutNul(item) : null;
}

function twilioItemRaw(webhook: TwilioWebhook): WebhookItem | null {
  if (webhook.kind === "inbound") {
    const from = normalizePhone(webhook.from);
    if (!from || !E164.test(from)) return null;
    return {
      key: `inbound:${webhook.sid}`,
      event: "sms.inbound",
      kind: "inbound",
      input: {
        channel: "sms",
        provider: "twilio",
        providerMessageId: webhook.sid,
        from,
        text: webhook.body,
        type: "sms",
      },
    };
  }
  return {
    key: `status:${webhook.sid}:${webhook.twilioStatus}`,
    event: `status.${webhook.twilioStatus}`,
    kind: "status",
    input: {
      provider: "twilio",
      providerMessageId: webhook.sid,
      status: webhook.status,
      error:
        webhook.status === "failed"
          ? `${webhook.twilioStatus}${webhook.errorCode ? ` (${webhook.errorCode})` : ""}`
          : undefined,
    },
  };
}

export function resendItem(svixId: string, event: ResendEvent): WebhookItem {
  return withoutNul(resendItemRaw(svixId, event));
}

function resendItemRaw(svixId: string, event: ResendEvent): WebhookItem {
  const base = { key: svixId, event: event.type };
  switch (event.outcome) {
    case "sent":
    case "delivered":
    case "failed":
      return {
        ...base,
        kind: "status",
        input: { provider: "resend", providerMessageId: event.emailId, status: event.outcome },
      };
    case "bounced":
    case "complained":
      return {
        ...base,
        kind: "bounce",
        input: {
          provider: "resend",
          providerMessageId: event.emailId,
          addresses: event.to,
          kind: event.outcome === "complained" ? "complaint" : (event.bounceType ?? "hard"),
          detail: event.bounceMessage,
        },
      };
    default:
      return { ...base, kind: "note" };
  }
}

/**
 * Postgres text cannot hold U+0000: one in a message or a name would fail the whole delivery's
 * transaction on every retry of it. Removed from every string of an item before it is stored.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === "string") return value.replaceAll("\u0000", "") as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value instanceof Date || value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutNul(v)]),
  ) as T;
}
