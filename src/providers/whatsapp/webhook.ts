/**
 * WhatsApp webhook payloads (PROVIDERS.md §3), after `verifyWhatsAppSignature`. The envelope
 * `{object:"whatsapp_business_account", entry:[{id, changes:[{field:"messages", value}]}]}`
 * becomes flat lists of inbound messages and delivery statuses. Unknown fields are ignored;
 * a malformed item is skipped (and counted), never thrown on. Statuses may arrive out of order
 * and more than once: the consumer dedupes by (id, status).
 */
import * as z from "zod";

export type WhatsAppDeliveryStatus = "sent" | "delivered" | "read" | "failed";

export interface WhatsAppInbound {
  /** E.164, with "+". */
  from: string;
  /** The wamid. */
  id: string;
  timestamp: Date;
  /** `text`, `image`, `button`, `interactive`, … as Meta names it. */
  type: string;
  /** The text a person typed or tapped, when the type has one. */
  text?: string;
  /** The sender's WhatsApp profile name. */
  name?: string;
  /** Which of our numbers received it. */
  phoneNumberId?: string;
}

export interface WhatsAppStatus {
  id: string;
  status: WhatsAppDeliveryStatus;
  timestamp: Date;
  /** E.164, with "+". */
  recipient: string;
  /** `<code>: <title>` of the first error, for `failed`. */
  error?: string;
  errorCode?: number;
  /** What the send put in biz_opaque_callback_data (our idempotency key). */
  callbackData?: string;
}

export interface WhatsAppWebhook {
  inbound: WhatsAppInbound[];
  statuses: WhatsAppStatus[];
  /** Items that did not have the documented shape and were left out. */
  skipped: number;
}

export type WhatsAppWebhookParse =
  | { ok: true; value: WhatsAppWebhook }
  | { ok: false; error: string };

const unixSeconds = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
  .transform((s) => new Date(Number(s) * 1000));
const waId = z.string().regex(/^\d{6,15}$/);

const inbound = z.looseObject({
  from: waId,
  id: z.string().min(1).max(200),
  timestamp: unixSeconds,
  type: z.string().min(1).max(50),
  text: z.looseObject({ body: z.string() }).optional().catch(undefined),
  button: z.looseObject({ text: z.string() }).optional().catch(undefined),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ title: z.string() }).optional(),
      list_reply: z.looseObject({ title: z.string() }).optional(),
    })
    .optional()
    .catch(undefined),
});

const status = z.looseObject({
  id: z.string().min(1).max(200),
  status: z.enum(["sent", "delivered", "read", "failed"]),
  timestamp: unixSeconds,
  recipient_id: waId,
  biz_opaque_callback_data: z.string().optional().catch(undefined),
  errors: z
    .array(
      z.looseObject({
        code: z.number().optional(),
        title: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .optional()
    .catch(undefined),
});

const contact = z.looseObject({
  wa_id: z.string(),
  profile: z.looseObject({ name: z.string() }).optional(),
});

const envelope = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.unknown(),
        }),
      ),
    }),
  ),
});

const value = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string() }).optional().catch(undefined),
  contacts: z.array(z.unknown()).optional().catch(undefined),
  messages: z.array(z.unknown()).optional().catch(undefined),
  statuses: z.array(z.unknown()).optional().catch(undefined),
});

/** Parses a webhook body (the raw JSON text or its parsed value). Never throws. */
export function parseWhatsAppWebhook(body: unknown): WhatsAppWebhookParse {
  let json = body;
  if (typeof body === "string") {
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, error: "whatsapp webhook: not JSON" };
    }
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) {
    const at = parsed.error.issues[0]?.path.join(".") || "(root)";
    return { ok: false, error: `whatsapp webhook: not a WhatsApp envelope (at ${at})` };
  }
  const out: WhatsAppWebhook = { inbound: [], statuses: [], skipped: 0 };
  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== "messages") continue;
      const v = value.safeParse(change.value);
      if (!v.success) {
        out.skipped++;
        continue;
      }
      const names = new Map<string, string>();
      for (const c of v.data.contacts ?? []) {
        const ok = contact.safeParse(c);
        if (ok.success && ok.data.profile) names.set(ok.data.wa_id, ok.data.profile.name);
      }
      const phoneNumberId = v.data.metadata?.phone_number_id;
      for (const raw of v.data.messages ?? []) {
        const m = inbound.safeParse(raw);
        if (!m.success) {
          out.skipped++;
          continue;
        }
        const d = m.data;
        const text =
          d.text?.body ??
          d.button?.text ??
          d.interactive?.button_reply?.title ??
          d.interactive?.list_reply?.title;
        const name = names.get(d.from);
        out.inbound.push({
          from: `+${d.from}`,
          id: d.id,
          timestamp: d.timestamp,
          type: d.type,
          ...(text !== undefined ? { text } : {}),
          ...(name !== undefined ? { name } : {}),
          ...(phoneNumberId !== undefined ? { phoneNumberId } : {}),
        });
      }
      for (const raw of v.data.statuses ?? []) {
        const s = status.safeParse(raw);
        if (!s.success) {
          out.skipped++;
          continue;
        }
        const d = s.data;
        const first = d.errors?.[0];
        const error = first
          ? [first.code, first.title ?? first.message].filter((x) => x !== undefined).join(": ")
          : undefined;
        out.statuses.push({
          id: d.id,
          status: d.status,
          timestamp: d.timestamp,
          recipient: `+${d.recipient_id}`,
          ...(error ? { error: error.slice(0, 300) } : {}),
          ...(first?.code !== undefined ? { errorCode: first.code } : {}),
          ...(d.biz_opaque_callback_data !== undefined
            ? { callbackData: d.biz_opaque_callback_data }
            : {}),
        });
      }
    }
  }
  return { ok: true, value: out };
}
