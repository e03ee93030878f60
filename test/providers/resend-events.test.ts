/** Resend webhook events: real-shaped samples of each type, and garbage. */
import { describe, expect, it } from "vitest";
import { parseResendEvent } from "../../src/providers/resend";

const email = (type: string, data: Record<string, unknown> = {}) => ({
  type,
  created_at: "2023-10-02T18:11:26.101Z",
  data: {
    created_at: "2023-10-02T18:11:25.729Z",
    email_id: "56761188-7520-42d8-8898-ff6fc54ce618",
    from: "Acme <onboarding@resend.dev>",
    to: ["delivered@resend.dev"],
    subject: "Sending this example",
    ...data,
  },
});

describe("parseResendEvent", () => {
  it.each([
    ["email.sent", "sent"],
    ["email.delivered", "delivered"],
    ["email.delivery_delayed", "delayed"],
    ["email.complained", "complained"],
    ["email.failed", "failed"],
    ["email.opened", "other"],
    ["email.clicked", "other"],
  ] as const)("%s → outcome %s", (type, outcome) => {
    expect(parseResendEvent(JSON.stringify(email(type)))).toEqual({
      ok: true,
      event: {
        type,
        outcome,
        emailId: "56761188-7520-42d8-8898-ff6fc54ce618",
        to: ["delivered@resend.dev"],
        at: new Date("2023-10-02T18:11:26.101Z"),
      },
    });
  });

  it("a bounce with only a message (as captured in 2023) is hard", () => {
    const parsed = parseResendEvent(
      email("email.bounced", {
        to: ["bounced@resend.dev"],
        bounce: { message: "The recipient's email provider sent a hard bounce message" },
      }),
    );
    expect(parsed).toMatchObject({
      ok: true,
      event: {
        outcome: "bounced",
        bounceType: "hard",
        bounceMessage: "The recipient's email provider sent a hard bounce message",
        to: ["bounced@resend.dev"],
      },
    });
  });

  it.each([
    ["Permanent", "hard"],
    ["Transient", "soft"],
    ["Undetermined", "undetermined"],
  ] as const)("bounce type %s → %s, subtype kept", (type, expected) => {
    const parsed = parseResendEvent(
      email("email.bounced", { bounce: { type, subType: "MailboxFull", message: "m" } }),
    );
    expect(parsed).toMatchObject({
      ok: true,
      event: { bounceType: expected, bounceSubType: "MailboxFull" },
    });
  });

  it("a single `to` string is read as a list; unknown fields are ignored", () => {
    const parsed = parseResendEvent(
      email("email.delivered", { to: "a@b.in", tags: { x: "y" }, extra: [1] }),
    );
    expect(parsed).toMatchObject({ ok: true, event: { to: ["a@b.in"] } });
  });

  it("an event about something other than an email is unsupported", () => {
    expect(
      parseResendEvent({ type: "contact.created", created_at: "2024-01-01T00:00:00Z", data: {} }),
    ).toMatchObject({
      ok: false,
      reason: "unsupported",
    });
  });

  it.each([
    ["not JSON", "{"],
    ["null", null],
    ["no data", { type: "email.sent", created_at: "2023-10-02T18:11:26.101Z" }],
    [
      "no email id",
      { type: "email.sent", created_at: "2023-10-02T18:11:26.101Z", data: { to: [] } },
    ],
    ["a bad timestamp", { ...email("email.sent"), created_at: "yesterday" }],
    ["a number", 7],
  ])("answers malformed for %s, never throws", (_, body) => {
    expect(parseResendEvent(body)).toMatchObject({ ok: false, reason: "malformed" });
  });
});
