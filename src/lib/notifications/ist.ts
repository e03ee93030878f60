/**
 * Time rules of outbound messages, in India Standard Time (UTC+05:30 all year).
 */
import { earliestSendAt } from "./templates";

/** When a non-transactional message may go out: `at` itself, or 09:00 IST after quiet hours. */
export function afterQuietHours(at: Date): Date {
  return earliestSendAt({ transactional: false }, at);
}

/** WhatsApp's customer-service window: free text only within 24 h of the last inbound message. */
export const WHATSAPP_WINDOW_MS = 24 * 3_600_000;

export function whatsappWindowOpen(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < WHATSAPP_WINDOW_MS;
}
