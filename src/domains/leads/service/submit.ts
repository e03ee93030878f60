import { consents } from "../../../db/schema";
import { runAs, SYSTEM } from "../../../db/transaction";
import { findOrCreateContact } from "../../../lib/contacts";
import { AppError, dependencyUnavailable } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { CreateLeadBody } from "../schemas";
import { turnstileFromConfig } from "../turnstile";

export const LEAD_FORM_SOURCE = "website_lead_form";
export const RECEIVED = { status: "received" as const };

/**
 * The public lead form. Always the same answer (202 received) whether the person was new or
 * merged, so the form cannot be used to learn who is already known. Runs as `system`.
 */
export async function submitLead(ctx: ServiceContext, input: CreateLeadBody) {
  const verdict = await turnstileFromConfig(ctx.config).verify({
    token: input.turnstileToken,
    remoteIp: ctx.audit.ip ?? undefined,
    // No idempotency_key: with one, siteverify accepts the same token again, and the client
    // picks its Idempotency-Key (scoped per address here), so one solved challenge could be
    // replayed from many addresses. A replayed request is answered by the idempotency record.
  });
  if (!verdict.ok) {
    if (verdict.reason === "unavailable") throw dependencyUnavailable("turnstile");
    throw new AppError({
      code: "TURNSTILE_FAILED",
      detail: "The human verification failed or expired. Complete the check again.",
      errors: [{ path: "turnstileToken", message: "Invalid or expired Turnstile token" }],
      extensions: { turnstileCodes: verdict.codes },
    });
  }

  const utm = Object.fromEntries(
    (
      [
        ["utm_source", input.utmSource],
        ["utm_medium", input.utmMedium],
        ["utm_campaign", input.utmCampaign],
        ["utm_term", input.utmTerm],
        ["utm_content", input.utmContent],
      ] as const
    ).filter((e): e is [(typeof e)[0], string] => typeof e[1] === "string"),
  );

  return runAs(ctx.db, SYSTEM, async (tx) => {
    const match = await findOrCreateContact(
      tx,
      {
        name: input.name,
        email: input.email,
        phone: input.phone,
        source: "website",
        courseInterest: input.courseInterest,
        utm,
        lead: true,
        activity: {
          kind: "lead_submitted",
          data: {
            form: LEAD_FORM_SOURCE,
            message: input.message ?? null,
            courseInterest: input.courseInterest ?? null,
            utm,
          },
        },
      },
      ctx.audit,
    );
    // Consent is for the number on the contact: one it did not take (another contact's) gets
    // none here, the activity says which it was.
    const phoneIsTheirs = match.contact.phone !== null && !match.unused.phone;
    const granted = input.consent
      ? (["whatsapp", "sms"] as const).filter((ch) => input.consent?.[ch])
      : [];
    if (granted.length > 0 && phoneIsTheirs) {
      await tx.insert(consents).values(
        granted.map((channel) => ({
          contactId: match.contact.id,
          channel,
          granted: true,
          source: LEAD_FORM_SOURCE,
          wording: input.consent?.wording ?? null,
          ip: ctx.audit.ip,
          userAgent: ctx.audit.userAgent?.slice(0, 512) ?? null,
        })),
      );
    }
    await ctx.idempotency?.complete(tx, { status: 202, body: RECEIVED });
    return RECEIVED;
  });
}
