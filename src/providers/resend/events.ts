/**
 * Resend webhook events (Svix-signed JSON; verify with `verifySvix` first). Envelope:
 * `{type, created_at, data:{email_id, to[], from, subject, created_at, bounce?, …}}`.
 *
 * What the types mean for a message (Resend's event-types page):
 * - `email.delivered`: accepted by the recipient's mail server → delivered;
 * - `email.bounced`: the recipient's server permanently rejected it → bounced;
 * - `email.complained`: delivered, then marked as spam → complained (stop mailing them);
 * - `email.delivery_delayed`: temporary trouble, Resend keeps trying → delayed (not final);
 * - `email.sent`: Resend accepted it and will try → sent; `email.failed`: never sent → failed.
 * Anything else (opened, clicked, contact.*, domain.*) is `other`.
 *
 * Bounces: Resend's bounce docs name types Permanent (hard), Transient (soft) and Undetermined.
 * Captured `email.bounced` payloads carry `data.bounce.message`; `data.bounce.type` and
 * `subType` (e.g. "Permanent"/"Suppressed") are UNCONFIRMED against Resend's own webhook
 * reference, so they are read when present and a bounce without a type counts as hard (the
 * event itself means a permanent rejection).
 */
import * as z from "zod";

export type ResendOutcome =
  | "sent"
  | "delivered"
  | "delayed"
  | "bounced"
  | "complained"
  | "failed"
  | "other";

export type BounceType = "hard" | "soft" | "undetermined";

export interface ResendEvent {
  type: string;
  outcome: ResendOutcome;
  emailId: string;
  to: string[];
  bounceType?: BounceType;
  /** Resend's subtype (`General`, `Suppressed`, `MailboxFull`, …) when given. */
  bounceSubType?: string;
  bounceMessage?: string;
  /** When the event happened (the envelope's created_at). */
  at: Date;
}

export type ResendEventParse =
  | { ok: true; event: ResendEvent }
  | { ok: false; reason: "malformed" | "unsupported"; error: string };

const OUTCOMES: Record<string, ResendOutcome> = {
  "email.sent": "sent",
  "email.delivered": "delivered",
  "email.delivery_delayed": "delayed",
  "email.bounced": "bounced",
  "email.complained": "complained",
  "email.failed": "failed",
};

const instant = z
  .string()
  .transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()));

const envelope = z.looseObject({
  type: z.string().min(1).max(100),
  created_at: instant,
  data: z.looseObject({
    email_id: z.string().min(1).max(200),
    to: z.union([z.string(), z.array(z.string())]).optional(),
    bounce: z
      .looseObject({
        type: z.string().optional(),
        subType: z.string().optional(),
        message: z.string().optional(),
      })
      .optional()
      .catch(undefined),
  }),
});

function bounceType(type: string | undefined): BounceType {
  const t = type?.toLowerCase();
  if (t === undefined || t === "permanent" || t === "hard") return "hard";
  if (t === "transient" || t === "soft") return "soft";
  return "undetermined";
}

/** Parses an event body (the raw JSON text or its parsed value). Never throws. */
export function parseResendEvent(body: unknown): ResendEventParse {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, reason: "malformed", error: "resend event: not JSON" };
    }
  }
  const typeOnly = z.looseObject({ type: z.string() }).safeParse(value);
  if (typeOnly.success && !typeOnly.data.type.startsWith("email.")) {
    return {
      ok: false,
      reason: "unsupported",
      error: `resend event: ${typeOnly.data.type.slice(0, 100)} is not about an email`,
    };
  }
  const parsed = envelope.safeParse(value);
  if (!parsed.success) {
    const at = parsed.error.issues[0]?.path.join(".") || "(root)";
    return { ok: false, reason: "malformed", error: `resend event: invalid at ${at}` };
  }
  const { type, created_at, data } = parsed.data;
  const outcome = OUTCOMES[type] ?? "other";
  const to = data.to === undefined ? [] : Array.isArray(data.to) ? data.to : [data.to];
  const event: ResendEvent = { type, outcome, emailId: data.email_id, to, at: created_at };
  if (outcome === "bounced") {
    event.bounceType = bounceType(data.bounce?.type);
    if (data.bounce?.subType) event.bounceSubType = data.bounce.subType;
    if (data.bounce?.message) event.bounceMessage = data.bounce.message.slice(0, 500);
  }
  return { ok: true, event };
}
