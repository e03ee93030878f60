/**
 * Twilio messaging webhooks (form-encoded; verify with `verifyTwilioSignature` first):
 * - inbound SMS: `MessageSid`, `From`, `To`, `Body` (and `SmsStatus=received`);
 * - status callback: `MessageSid`, `MessageStatus`, `ErrorCode?`.
 * Statuses map onto ours: queued/accepted/scheduled/sending → queued, sent → sent,
 * delivered/read → delivered, undelivered/failed/canceled → failed. Never throws.
 */
export type SmsDeliveryStatus = "queued" | "sent" | "delivered" | "failed";

export type TwilioWebhook =
  | { kind: "inbound"; sid: string; from: string; to: string; body: string }
  | {
      kind: "status";
      sid: string;
      status: SmsDeliveryStatus;
      /** Twilio's own word (`undelivered`, `failed`, …). */
      twilioStatus: string;
      errorCode?: string;
      to?: string;
    };

export type TwilioWebhookParse = { ok: true; value: TwilioWebhook } | { ok: false; error: string };

const STATUS: Record<string, SmsDeliveryStatus> = {
  queued: "queued",
  accepted: "queued",
  scheduled: "queued",
  sending: "queued",
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  undelivered: "failed",
  failed: "failed",
  canceled: "failed",
};

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;
const INBOUND_STATUSES = new Set(["received", "receiving"]);

export function parseTwilioWebhook(
  form: URLSearchParams | Record<string, string | undefined>,
): TwilioWebhookParse {
  const get = (k: string) => {
    const v = form instanceof URLSearchParams ? form.get(k) : form[k];
    return typeof v === "string" ? v : undefined;
  };
  const sid = get("MessageSid") ?? get("SmsSid");
  if (!sid || !SID.test(sid)) return { ok: false, error: "twilio webhook: no valid MessageSid" };
  const status = (get("MessageStatus") ?? get("SmsStatus"))?.toLowerCase();

  if (status === undefined || INBOUND_STATUSES.has(status)) {
    const from = get("From");
    const to = get("To");
    const body = get("Body");
    if (!from || !to || body === undefined) {
      return { ok: false, error: "twilio webhook: an inbound message needs From, To and Body" };
    }
    return { ok: true, value: { kind: "inbound", sid, from, to, body } };
  }
  const mapped = STATUS[status];
  if (!mapped) {
    return { ok: false, error: `twilio webhook: unknown status ${status.slice(0, 40)}` };
  }
  const errorCode = get("ErrorCode");
  const to = get("To");
  return {
    ok: true,
    value: {
      kind: "status",
      sid,
      status: mapped,
      twilioStatus: status,
      ...(errorCode && /^\d{1,6}$/.test(errorCode) ? { errorCode } : {}),
      ...(to ? { to } : {}),
    },
  };
}
