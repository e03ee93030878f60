/**
 * The inbox's test kit: messaging webhook secrets for the harness, deliveries signed the way
 * each provider signs them (with the providers' own signing helpers), posted raw through the
 * mounted app, and direct inserts for contacts and threads.
 */
import { and, eq, sql } from "drizzle-orm";
import type { TestContext } from "vitest";
import { contacts, conversations, messages, notifications } from "../../src/db/schema";
import { signSvix } from "../../src/providers/resend";
import { signTwilio } from "../../src/providers/twilio";
import { signWhatsApp } from "../../src/providers/whatsapp";
import type { TestBindings } from "../support/env";
import { Harness, type TestResponse } from "../support/harness";
import type { TestUser } from "../support/identity";

export const WEBHOOK_SECRETS = {
  WHATSAPP_APP_SECRET: "test-whatsapp-app-secret-0123456789abcdef",
  WHATSAPP_VERIFY_TOKEN: "test-whatsapp-verify-token-0123456789",
  TWILIO_AUTH_TOKEN: "test-twilio-auth-token-0123456789abcdef",
  RESEND_WEBHOOK_SECRET: `whsec_${btoa("test-resend-webhook-signing-key-0123456789")}`,
};

/** A harness whose app has the messaging webhook secrets configured. */
export function inboxHarness(t: TestContext, env: Partial<TestBindings> = {}) {
  return Harness.init(t, { env: { ...WEBHOOK_SECRETS, ...env } });
}

/** A fresh Indian mobile number (E.164): tests in one file share a database. */
export function freshPhone(): string {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b % 10).join("");
  return `+919${digits}`;
}

export const freshEmail = () => `lead-${crypto.randomUUID()}@example.in`;

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, n);
export const wamid = () => `wamid.${hex(24)}`;
export const twilioSid = () => `SM${hex(32)}`;

type Raw = { status: number; headers: Headers; text: string; body: Record<string, unknown> };

async function send(h: Harness, path: string, init: RequestInit): Promise<Raw> {
  const res = await h.fetch(path, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* TwiML or a raw challenge */
  }
  return { status: res.status, headers: res.headers, text, body };
}

// ---------------------------------------------------------------------------------------------
// WhatsApp

export function whatsappEnvelope(value: Record<string, unknown>) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export function inboundText(
  from: string,
  text: string,
  opts: { id?: string; at?: Date; name?: string } = {},
) {
  const waId = from.replace(/^\+/, "");
  return whatsappEnvelope({
    contacts: [{ profile: { name: opts.name ?? "Asha Verma" }, wa_id: waId }],
    messages: [
      {
        from: waId,
        id: opts.id ?? wamid(),
        timestamp: String(Math.floor((opts.at ?? new Date()).getTime() / 1000)),
        type: "text",
        text: { body: text },
      },
    ],
  });
}

export function statusUpdate(id: string, status: string, recipient: string) {
  return whatsappEnvelope({
    statuses: [
      {
        id,
        status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: recipient.replace(/^\+/, ""),
      },
    ],
  });
}

export async function postWhatsApp(
  h: Harness,
  payload: unknown,
  opts: { secret?: string; signature?: string | null; rawBody?: string } = {},
) {
  const rawBody = opts.rawBody ?? JSON.stringify(payload);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const signature =
    opts.signature === undefined
      ? await signWhatsApp(rawBody, opts.secret ?? WEBHOOK_SECRETS.WHATSAPP_APP_SECRET)
      : opts.signature;
  if (signature !== null) headers["X-Hub-Signature-256"] = signature;
  return send(h, "/v1/webhooks/whatsapp", { method: "POST", headers, body: rawBody });
}

// ---------------------------------------------------------------------------------------------
// Twilio

export async function postTwilio(
  h: Harness,
  params: Record<string, string>,
  opts: { signedUrl?: string; authToken?: string; signature?: string | null; query?: string } = {},
) {
  const path = `/v1/webhooks/twilio/sms${opts.query ?? ""}`;
  const url = opts.signedUrl ?? `http://api.test${path}`;
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  const signature =
    opts.signature === undefined
      ? await signTwilio({
          url,
          params,
          authToken: opts.authToken ?? WEBHOOK_SECRETS.TWILIO_AUTH_TOKEN,
        })
      : opts.signature;
  if (signature !== null) headers["X-Twilio-Signature"] = signature;
  return send(h, path, { method: "POST", headers, body: new URLSearchParams(params).toString() });
}

export function twilioInbound(from: string, body: string, sid = twilioSid()) {
  return {
    ToCountry: "IN",
    SmsMessageSid: sid,
    NumMedia: "0",
    SmsSid: sid,
    SmsStatus: "received",
    Body: body,
    To: "+918000000000",
    MessageSid: sid,
    AccountSid: `AC${hex(32)}`,
    From: from,
    ApiVersion: "2010-04-01",
  };
}

// ---------------------------------------------------------------------------------------------
// Resend (Svix)

export async function postResend(
  h: Harness,
  event: unknown,
  opts: {
    id?: string;
    signedAt?: Date;
    secret?: string;
    signature?: string | null;
    omit?: ("svix-id" | "svix-timestamp")[];
  } = {},
) {
  const rawBody = JSON.stringify(event);
  const id = opts.id ?? `msg_${hex(24)}`;
  const timestamp = String(Math.floor((opts.signedAt ?? new Date()).getTime() / 1000));
  const signature =
    opts.signature === undefined
      ? await signSvix({
          id,
          timestamp,
          rawBody,
          secret: opts.secret ?? WEBHOOK_SECRETS.RESEND_WEBHOOK_SECRET,
        })
      : opts.signature;
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (!opts.omit?.includes("svix-id")) headers["svix-id"] = id;
  if (!opts.omit?.includes("svix-timestamp")) headers["svix-timestamp"] = timestamp;
  if (signature !== null) headers["svix-signature"] = signature;
  return send(h, "/v1/webhooks/resend", { method: "POST", headers, body: rawBody });
}

export function resendEvent(
  type: string,
  emailId: string,
  to: string,
  extra: Record<string, unknown> = {},
) {
  return {
    type,
    created_at: new Date().toISOString(),
    data: {
      email_id: emailId,
      from: "Coaching <hello@example.in>",
      to: [to],
      subject: "Your question",
      created_at: new Date().toISOString(),
      ...extra,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rows

export async function insertContact(
  h: Harness,
  values: { name?: string; email?: string | null; phone?: string | null } = {},
) {
  const [row] = await h.db
    .insert(contacts)
    .values({
      name: values.name ?? "Rahul Nair",
      email: values.email === undefined ? freshEmail() : values.email,
      phone: values.phone === undefined ? freshPhone() : values.phone,
      source: "admin",
      leadStatus: "new",
    })
    .returning();
  if (!row) throw new Error("contact insert failed");
  return row;
}

export interface ConversationBody {
  id: string;
  channel: string;
  address: string;
  unreadCount: number;
  archived: boolean;
  important: boolean;
  snoozedUntil: string | null;
  assigneeId: string | null;
  lastMessagePreview: string | null;
  contact: { id: string; name: string };
}

export interface ConversationPageBody {
  data: ConversationBody[];
  pagination: { nextCursor: string | null; hasMore: boolean };
  unread: { conversations: number; messages: number };
}

export async function openThread(
  h: Harness,
  admin: TestUser,
  contactId: string,
  channel: "email" | "whatsapp" | "sms",
): Promise<TestResponse<ConversationBody>> {
  return h.post("/v1/admin/conversations", { contactId, channel }, { headers: admin.auth });
}

export function reply(h: Harness, admin: TestUser, conversationId: string, body: unknown) {
  return h.post<unknown, SentBody & { code?: string }>(
    `/v1/admin/conversations/${conversationId}/messages`,
    body,
    { headers: { ...admin.auth, "Idempotency-Key": crypto.randomUUID() } },
  );
}

export interface SentBody {
  message: { id: string; status: string; body: string; notificationId: string | null };
  notification: { id: string; status: string; notBefore: string; transactional: boolean };
}

export async function threadByAddress(h: Harness, channel: string, address: string) {
  const [row] = await h.db
    .select()
    .from(conversations)
    .where(
      and(eq(conversations.channel, channel as "whatsapp"), eq(conversations.address, address)),
    );
  return row;
}

export async function setLastInbound(h: Harness, conversationId: string, at: Date) {
  await h.db
    .update(conversations)
    .set({ lastInboundAt: at })
    .where(eq(conversations.id, conversationId));
}

export async function rowCounts(h: Harness, conversationId: string, address: string) {
  const [row] = (
    await h.db.execute<{ messages: number; notifications: number }>(
      sql`select (select count(*) from ${messages} where conversation_id = ${conversationId})::int as messages,
                 (select count(*) from ${notifications} where to_address = ${address})::int as notifications`,
    )
  ).rows;
  return row;
}

/**
 * A valid `lead_follow_up` (marketing: quiet hours apply). Its `unsubscribeLink` is made by the
 * outbox for the recipient, never given.
 */
export const LEAD_FOLLOW_UP = {
  template: {
    name: "lead_follow_up",
    variables: {
      name: "Neha Joshi",
      courseTitle: "UPSC Prelims 2027 Foundation",
      counsellorName: "Rohan Gupta",
      link: "https://learn.example.in/courses/upsc-prelims-2027",
    },
  },
};
