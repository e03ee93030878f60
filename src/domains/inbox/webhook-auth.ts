/**
 * What the messaging webhooks share before any work: an unsigned request is refused (401)
 * whatever the configuration; a signed one with no secret configured to check it is 503 (the
 * provider retries, and operators see it), never accepted. Checked on the raw body, before the
 * limiter or the database.
 */
import { AppError, unauthenticated } from "../../lib/errors";

export const rejected = () =>
  unauthenticated("The webhook signature is missing or invalid, or its timestamp is too old.");

export const notConfigured = (provider: string) =>
  new AppError({
    code: "WEBHOOK_NOT_CONFIGURED",
    detail: `The ${provider} webhook is not configured here.`,
    extensions: { provider },
  });

/** The secret to verify with; throws 401 when unsigned and 503 when nothing can verify. */
export function secretFor(
  provider: string,
  signature: string | null | undefined,
  secret: string | undefined,
): string {
  if (!signature) throw rejected();
  if (!secret) throw notConfigured(provider);
  return secret;
}

/** Twilio signs the URL it called: ours as configured publicly, else the request's own. */
export function publicUrl(requestUrl: string, configured: string | undefined): string {
  if (!configured) return requestUrl;
  const url = new URL(requestUrl);
  return `${configured.replace(/\/+$/, "")}${url.pathname}${url.search}`;
}

/** The answer Twilio expects: an empty TwiML document (no reply message). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
