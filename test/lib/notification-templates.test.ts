import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  BRAND,
  type Channel,
  channelsOf,
  DLT_VAR_MAX,
  dltText,
  earliestSendAt,
  escapeHtml,
  formatRupees,
  formatTime,
  getTemplate,
  isQuietHours,
  placeholderCount,
  previewTemplate,
  type RenderedByChannel,
  renderTemplate,
  SMS_TEMPLATES,
  smsEncoding,
  type TemplateName,
  templateNames,
  toGsmFriendly,
  WHATSAPP_BODY_MAX,
  WHATSAPP_TEMPLATES,
  whatsappParam,
} from "../../src/lib/notifications/templates";
import { defineTemplate } from "../../src/lib/notifications/templates/types";

const CHANNELS: Record<TemplateName, Channel[]> = {
  class_reminder: ["email", "whatsapp", "sms"],
  schedule_change: ["email", "whatsapp", "sms"],
  payment_receipt: ["email", "whatsapp", "sms"],
  refund: ["email", "whatsapp", "sms"],
  ticket_reply: ["email", "whatsapp", "sms"],
  lead_follow_up: ["email", "whatsapp", "sms"],
  ticket_status: ["email", "whatsapp"],
  ticket_sla: ["email"],
  email_verification: ["email"],
  password_reset: ["email"],
  account_invitation: ["email"],
  admin_request_verification: ["email"],
  admin_request_decision: ["email"],
};

const SECRETS: Record<TemplateName, string[]> = {
  email_verification: ["link"],
  password_reset: ["link"],
  account_invitation: ["link"],
  admin_request_verification: ["link"],
  lead_follow_up: ["unsubscribeLink"],
  admin_request_decision: [],
  class_reminder: [],
  schedule_change: [],
  payment_receipt: [],
  refund: [],
  ticket_reply: [],
  ticket_status: [],
  ticket_sla: [],
};

const names = Object.keys(CHANNELS) as TemplateName[];
const pairs = names.flatMap((n) => CHANNELS[n].map((c) => [n, c] as const));

const sampleOf = (name: TemplateName) => {
  const def = getTemplate(name);
  return { ...(def.sample as Record<string, unknown>) };
};

function render<C extends Channel>(
  name: TemplateName,
  channel: C,
  vars: unknown,
): RenderedByChannel[C] {
  const result = renderTemplate(name, channel, vars);
  if (!result.ok) throw new Error(`${name}/${channel}: ${JSON.stringify(result.issues)}`);
  return result.rendered;
}

function issuesOf(name: TemplateName, vars: unknown, channel: Channel = "email") {
  const result = renderTemplate(name, channel, vars);
  if (result.ok) throw new Error(`${name} accepted ${JSON.stringify(vars)}`);
  return result;
}

/** Variables of a template's sample with `key` replaced (the channels that must accept it). */
const variants: [string, TemplateName, Record<string, unknown>][] = [
  ["schedule change, cancelled", "schedule_change", cancelledClass()],
  [
    "schedule change, same time (length changed)",
    "schedule_change",
    {
      ...sampleOf("schedule_change"),
      previousStartsAt: "2026-12-06T05:30:00.000Z",
      startsAt: "2026-12-06T11:00:00+05:30",
    },
  ],
  ["refund processed", "refund", { ...sampleOf("refund"), status: "processed" }],
  [
    "refund initiated on request",
    "refund",
    { ...sampleOf("refund"), automatic: false, reason: "You cancelled within 7 days" },
  ],
  ["ticket SLA breached", "ticket_sla", { ...sampleOf("ticket_sla"), state: "breached" }],
  [
    "admin request approved",
    "admin_request_decision",
    { ...sampleOf("admin_request_decision"), decision: "approved" },
  ],
];

function cancelledClass(): Record<string, unknown> {
  const { previousStartsAt: _, durationMinutes: __, ...rest } = sampleOf("schedule_change");
  return { ...rest, change: "cancelled" };
}

describe("registry", () => {
  it("holds exactly the contracted templates, each under its own name", () => {
    expect([...templateNames].sort()).toEqual([...names].sort());
    for (const name of templateNames) expect(getTemplate(name).name).toBe(name);
    expect(getTemplate("session_cancelled")).toBeUndefined();
    expect(getTemplate("__proto__")).toBeUndefined();
  });

  it.for(names)("%s offers exactly its channels", (name) => {
    expect(channelsOf(name)).toEqual(CHANNELS[name]);
    expect(Object.keys(previewTemplate(name) ?? {}).sort()).toEqual([...CHANNELS[name]].sort());
  });

  it("only lead_follow_up is marketing (quiet hours, unsubscribe)", () => {
    for (const name of names) {
      expect(getTemplate(name).transactional, name).toBe(name !== "lead_follow_up");
    }
  });

  it.for(names)("%s declares its token-carrying links as secret", (name) => {
    const def = getTemplate(name);
    expect([...def.secretVariables]).toEqual(SECRETS[name]);
    const sample = sampleOf(name);
    for (const key of def.secretVariables) {
      expect(String(sample[key as string])).toMatch(/^https:\/\/.*token=/);
    }
  });

  it("every sample carrying a token is declared secret", () => {
    for (const name of names) {
      const def = getTemplate(name);
      for (const [key, value] of Object.entries(sampleOf(name))) {
        if (typeof value === "string" && /token=/.test(value)) {
          expect(def.secretVariables as readonly string[], `${name}.${key}`).toContain(key);
        }
      }
    }
  });

  it("secretVariables are type-checked against the template's variables", () => {
    const def = defineTemplate({
      name: "password_reset",
      description: "type check only",
      transactional: true,
      variables: z.strictObject({ link: z.string() }),
      // @ts-expect-error "token" is not one of the variables
      secretVariables: ["token"],
      channels: {},
      sample: { link: "https://x.test/" },
    });
    expect(def.name).toBe("password_reset");
  });

  it("unknown templates and channels a template lacks are refused, not thrown", () => {
    expect(renderTemplate("nope", "email", {})).toMatchObject({
      ok: false,
      error: "unknown_template",
    });
    expect(renderTemplate("password_reset", "sms", sampleOf("password_reset"))).toMatchObject({
      ok: false,
      error: "unsupported_channel",
    });
    expect(renderTemplate("ticket_sla", "whatsapp", sampleOf("ticket_sla"))).toMatchObject({
      ok: false,
      error: "unsupported_channel",
    });
    expect(previewTemplate("nope")).toBeUndefined();
  });
});

describe("every template × channel renders its sample", () => {
  it.for(pairs)("%s / %s", ([name, channel]) => {
    const rendered = render(name, channel, getTemplate(name).sample);
    expect(previewTemplate(name)?.[channel]).toEqual(rendered);
    checkChannel(channel, rendered, sampleOf(name));
  });

  const variantPairs = variants.flatMap(([label, name, vars]) =>
    CHANNELS[name].map((c) => [label, name, c, vars] as const),
  );
  it.for(variantPairs)("%s / %s / %s", ([, name, channel, vars]) => {
    checkChannel(channel, render(name, channel, vars), vars);
  });
});

function checkChannel(channel: Channel, rendered: unknown, vars: Record<string, unknown>) {
  const name = String(vars.name);
  if (channel === "email") {
    const mail = rendered as RenderedByChannel["email"];
    expect(mail.subject.length).toBeGreaterThan(0);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain(`Hello ${name},`);
    expect(mail.text).toContain(`— ${BRAND}`);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain(`<title>${escapeHtml(mail.subject)}</title>`);
    // No images or other remote resources, and every href is one of the checked links.
    expect(mail.html).not.toMatch(/<img|src=|url\(|<link|<script|<style/i);
    const hrefs = [...mail.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(mail.links.map(escapeHtml));
    for (const l of mail.links) expect(new URL(l).protocol).toMatch(/^https?:$/);
    for (const l of mail.links) expect(mail.text).toContain(l);
  } else if (channel === "whatsapp") {
    const wa = rendered as RenderedByChannel["whatsapp"];
    expect(Object.keys(WHATSAPP_TEMPLATES)).toContain(wa.name);
    expect(wa.language).toBe("en");
    const body = WHATSAPP_TEMPLATES[wa.name as keyof typeof WHATSAPP_TEMPLATES].body;
    expect(wa.params).toHaveLength(placeholderCount(body));
    for (const p of wa.params) {
      expect(p).not.toMatch(/[\n\r\t]| {5}/);
      expect(p.length).toBeGreaterThan(0);
    }
    expect(wa.params[0]).toBe(name);
    expect(wa.preview).not.toMatch(/\{\{\d+\}\}/);
    expect(wa.preview.length).toBeLessThanOrEqual(WHATSAPP_BODY_MAX);
  } else {
    const sms = rendered as RenderedByChannel["sms"];
    expect(sms.text.startsWith(`${BRAND}: `)).toBe(true);
    expect(smsEncoding(sms.text)).toMatchObject({
      encoding: sms.encoding,
      segments: sms.segments,
    });
    // Samples are ordinary Indian course data: each must go as one GSM-7 part.
    expect(sms, sms.text).toMatchObject({ encoding: "GSM-7", segments: 1 });
  }
}

describe("Meta template catalogue", () => {
  it.for(Object.entries(WHATSAPP_TEMPLATES))("%s is registrable", ([name, t]) => {
    expect(name).toMatch(/^[a-z0-9_]+_v\d+$/);
    const n = placeholderCount(t.body);
    expect(n).toBeGreaterThan(0);
    // Placeholders are 1..n in order of first use; the body neither starts nor ends with one.
    const order = [...t.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(t.body).not.toMatch(/^\s*\{\{|\}\}\s*$/);
    expect(t.category).toBe(name.startsWith("lead_") ? "MARKETING" : "UTILITY");
  });

  it("every registered template is used by some rendering", () => {
    const used = new Set<string>();
    for (const name of names) {
      const wa = previewTemplate(name)?.whatsapp;
      if (wa) used.add(wa.name);
    }
    for (const [, name, vars] of variants) {
      if (CHANNELS[name].includes("whatsapp")) used.add(render(name, "whatsapp", vars).name);
    }
    expect([...used].sort()).toEqual(Object.keys(WHATSAPP_TEMPLATES).sort());
  });
});

describe("DLT SMS catalogue", () => {
  const rendered = [
    ...names.map((n) => [n, sampleOf(n)] as const),
    ...variants.map(([, n, vars]) => [n, vars] as const),
  ].flatMap(([n, vars]) => (CHANNELS[n].includes("sms") ? [render(n, "sms", vars)] : []));

  it("every SMS is its registered pattern filled in, each variable within DLT's limit", () => {
    for (const sms of rendered) {
      const pattern = SMS_TEMPLATES[sms.template as keyof typeof SMS_TEMPLATES];
      expect(pattern, sms.template).toBeDefined();
      const re = new RegExp(
        `^${dltText(pattern)
          .split("{#var#}")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("(.+?)")}$`,
      );
      const match = re.exec(sms.text);
      expect(match, `${sms.text} ~ ${pattern}`).not.toBeNull();
      for (const v of match?.slice(1) ?? []) {
        if (!v.startsWith("https://"))
          expect(Array.from(v).length).toBeLessThanOrEqual(DLT_VAR_MAX);
      }
    }
  });

  it("every registered pattern is used", () => {
    expect([...new Set(rendered.map((s) => s.template))].sort()).toEqual(
      Object.keys(SMS_TEMPLATES).sort(),
    );
  });
});

describe("variables are validated before rendering", () => {
  it.for(names)("%s: each required variable missing is reported by path", (name) => {
    const sample = sampleOf(name);
    const schema = getTemplate(name).variables as z.ZodType;
    for (const key of Object.keys(sample)) {
      const { [key]: _, ...rest } = sample;
      if (schema.safeParse(rest).success) continue; // optional or defaulted
      const result = issuesOf(name, rest, CHANNELS[name][0]);
      expect(result.error).toBe("invalid_variables");
      expect(result.issues.map((i) => i.path.join(".")).join(","), key).toContain(key);
    }
  });

  it.for(names)("%s: an unknown variable is refused", (name) => {
    const result = issuesOf(name, { ...sampleOf(name), extra: "x" }, CHANNELS[name][0]);
    expect(result.issues.some((i) => i.code === "unrecognized_keys")).toBe(true);
  });

  it.for(names)("%s: wrong types are refused", (name) => {
    const sample = sampleOf(name);
    expect(issuesOf(name, { ...sample, name: 42 }).issues[0]?.path).toEqual(["name"]);
    expect(issuesOf(name, { ...sample, name: "   " }).issues[0]?.path).toEqual(["name"]);
    expect(issuesOf(name, null).error).toBe("invalid_variables");
    expect(issuesOf(name, "a string").error).toBe("invalid_variables");
  });

  it.each([
    ["amountPaise", "11800000"],
    ["amountPaise", 1180.5],
    ["amountPaise", 0],
    ["amountPaise", -100],
    ["invoiceNumber", "INV 2026 with spaces"],
  ])("payment_receipt refuses %s = %j", (key, value) => {
    const result = issuesOf("payment_receipt", { ...sampleOf("payment_receipt"), [key]: value });
    expect(result.issues.map((i) => i.path.join("."))).toEqual([key]);
  });

  it.each([
    ["startsAt", "tomorrow at 5"],
    ["startsAt", "2026-12-07T12:00:00"], // no offset: ambiguous
    ["durationMinutes", 0],
    ["timeZone", "Mars/Olympus"],
  ])("class_reminder refuses %s = %j", (key, value) => {
    const result = issuesOf("class_reminder", { ...sampleOf("class_reminder"), [key]: value });
    expect(result.issues.map((i) => i.path.join("."))).toEqual([key]);
  });

  it("ticket numbers, enums and the refund's reason are checked", () => {
    const reply = sampleOf("ticket_reply");
    expect(issuesOf("ticket_reply", { ...reply, ticketNumber: "123" }).issues[0]?.path).toEqual([
      "ticketNumber",
    ]);
    expect(
      issuesOf("ticket_status", { ...sampleOf("ticket_status"), status: "deleted" }).issues[0]
        ?.path,
    ).toEqual(["status"]);
    expect(
      issuesOf("schedule_change", { ...sampleOf("schedule_change"), change: "moved" }).error,
    ).toBe("invalid_variables");
    const { reason: _, ...noReason } = sampleOf("refund");
    expect(issuesOf("refund", noReason).issues[0]?.path).toEqual(["reason"]);
    expect(renderTemplate("refund", "email", { ...noReason, automatic: false }).ok).toBe(true);
  });

  it("a cancelled class takes no old time (the variants are strict)", () => {
    expect(
      issuesOf("schedule_change", {
        ...cancelledClass(),
        previousStartsAt: "2026-12-05T04:30:00.000Z",
      }).error,
    ).toBe("invalid_variables");
  });

  const linkVars = names.flatMap((name) =>
    Object.entries(sampleOf(name))
      .filter(([, v]) => typeof v === "string" && v.startsWith("https://"))
      .map(([key]) => [name, key] as const),
  );
  it.for(linkVars)("%s.%s refuses non-http(s) links", ([name, key]) => {
    for (const bad of [
      "javascript:alert(1)",
      "JavaScript:alert(document.cookie)",
      "data:text/html,<script>alert(1)</script>",
      "ftp://files.example.in/x",
      "mailto:a@example.in",
      "//learn.example.in/no-scheme",
      "not a url",
    ]) {
      const result = issuesOf(name, { ...sampleOf(name), [key]: bad }, CHANNELS[name][0]);
      expect(result.issues, bad).toEqual([
        expect.objectContaining({ path: [key], message: expect.stringMatching(/http\(s\)/) }),
      ]);
    }
  });

  it("issues never echo the values (a secret link must not reach the logs)", () => {
    const link = "javascript:steal('token=SECRET123')";
    const result = issuesOf("password_reset", { ...sampleOf("password_reset"), link, extra: 1 });
    expect(JSON.stringify(result)).not.toContain("SECRET123");
  });
});

describe("email", () => {
  const EVIL = `<script>alert("x")</script> & 'friends'`;
  const ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;";

  /** The sample with every free-text variable the schema accepts it in set to `value`. */
  function hostile(name: TemplateName, base: Record<string, unknown>, value: string) {
    const schema = getTemplate(name).variables as z.ZodType;
    const vars = { ...base };
    const fields: string[] = [];
    for (const [key, v] of Object.entries(base)) {
      if (typeof v !== "string") continue;
      const attempt = { ...vars, [key]: value };
      if (schema.safeParse(attempt).success) {
        vars[key] = value;
        fields.push(key);
      }
    }
    return { vars, fields };
  }

  const emailCases = [
    ...names.map((n) => [n, n, sampleOf(n), true] as const),
    ...variants.map(([label, n, vars]) => [label, n, vars, false] as const),
  ];

  it.for(emailCases)("%s: escapes every interpolated value in the HTML", ([, name, base, all]) => {
    const { vars, fields } = hostile(name, base, EVIL);
    expect(fields).toContain("name");
    const mail = render(name, "email", vars);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain(`"x"`);
    expect(mail.html).toContain(ESCAPED);
    expect(mail.text).toContain(`Hello ${EVIL},`);
    // In the samples every hostile field shows up (escaped): none was silently dropped. (Some
    // variants leave a field out, e.g. an approval shows no reason.)
    const occurrences = mail.html.split(ESCAPED).length - 1;
    if (all) expect(occurrences).toBeGreaterThanOrEqual(fields.length);
  });

  it.for(emailCases)("%s: a line break in user text never reaches the subject", ([, n, base]) => {
    const { vars } = hostile(n, base, "Physics\r\nBcc: victim@example.in");
    const mail = render(n, "email", vars);
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it("links are normalised and attribute-escaped", () => {
    const raw = `https://learn.example.in/verify?token=a1&x=<b>"onmouseover="alert(1)`;
    const mail = render("email_verification", "email", {
      ...sampleOf("email_verification"),
      link: raw,
    });
    const href = new URL(raw).toString();
    expect(href).not.toContain('"');
    expect(mail.links).toEqual([href]);
    expect(mail.html).toContain(`href="${escapeHtml(href)}"`);
    expect(mail.html).not.toContain('onmouseover="alert');
  });

  it("control and bidi-override characters are stripped from names", () => {
    const mail = render("password_reset", "email", {
      ...sampleOf("password_reset"),
      name: "Ra\u202Ehul\u0000 Verma\u200D",
    });
    expect(mail.text).toContain("Hello Rahul Verma\u200D,");
  });

  it("the marketing email carries the unsubscribe link and one-click headers; others do not", () => {
    const sample = sampleOf("lead_follow_up");
    const mail = render("lead_follow_up", "email", sample);
    const unsubscribe = String(sample.unsubscribeLink);
    expect(mail.text).toContain(`Unsubscribe: ${unsubscribe}`);
    expect(mail.html).toContain(`<a href="${escapeHtml(unsubscribe)}">Unsubscribe</a>`);
    expect(mail.headers).toEqual({
      "List-Unsubscribe": `<${unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    for (const name of names.filter((n) => n !== "lead_follow_up")) {
      const other = render(name, "email", sampleOf(name));
      expect(other.headers, name).toBeUndefined();
      expect(other.text, name).not.toMatch(/unsubscribe/i);
    }
  });

  it("money is ₹ with Indian grouping and times are in IST", () => {
    expect(formatRupees(12_345_600)).toBe("₹1,23,456.00");
    expect(formatRupees(5)).toBe("₹0.05");
    expect(formatRupees(1_000_000_000)).toBe("₹1,00,00,000.00");
    expect(formatTime("2026-12-07T12:00:00.000Z")).toBe("Mon, 7 Dec 2026, 5:30 pm IST");
    expect(formatTime("2026-12-07T18:30:00Z")).toBe("Tue, 8 Dec 2026, 12:00 am IST");
    expect(formatTime("2026-12-07T17:30:00+05:30")).toBe("Mon, 7 Dec 2026, 5:30 pm IST");
    expect(formatTime("2026-12-07T12:00:00Z", "Asia/Dubai")).toMatch(
      /^Mon, 7 Dec 2026, 4:00 pm (GST|GMT\+4)$/,
    );
    const receipt = render("payment_receipt", "email", sampleOf("payment_receipt"));
    expect(receipt.text).toContain("payment of ₹1,18,000.00 for JEE Advanced 2027");
    const reminder = render("class_reminder", "email", sampleOf("class_reminder"));
    expect(reminder.text).toContain("starts on Mon, 7 Dec 2026, 5:30 pm IST");
  });

  it("a rescheduled class shows the new and the old time; an unchanged time shows once", () => {
    const moved = render("schedule_change", "email", sampleOf("schedule_change"));
    expect(moved.subject).toBe("Class changed: Quadratic Equations");
    expect(moved.text).toContain(
      "New time: Sun, 6 Dec 2026, 11:00 am IST (was Sat, 5 Dec 2026, 10:00 am IST), 60 minutes.",
    );
    const same = render("schedule_change", "email", variants[1]?.[2]);
    expect(same.text).toContain("Time: Sun, 6 Dec 2026, 11:00 am IST, 60 minutes.");
    expect(same.text).not.toContain("was");
    const cancelled = render("schedule_change", "email", cancelledClass());
    expect(cancelled.subject).toBe("Class cancelled: Quadratic Equations");
    expect(cancelled.text).toContain("on Sun, 6 Dec 2026, 11:00 am IST is cancelled.");
  });

  it("the SLA alert says at risk or breached with the deadline", () => {
    const risk = render("ticket_sla", "email", sampleOf("ticket_sla"));
    expect(risk.subject).toMatch(/^\[SLA at risk\] TKT-2026-000123: /);
    expect(risk.text).toContain("is due a first response by Mon, 7 Dec 2026, 5:30 pm IST.");
    const breached = render("ticket_sla", "email", {
      ...sampleOf("ticket_sla"),
      state: "breached",
      assignee: undefined,
    });
    expect(breached.subject).toMatch(/^\[SLA breached\]/);
    expect(breached.text).toContain("missed its first response deadline");
    expect(breached.text).toContain("Nobody is assigned.");
  });
});

// The emails sent before the registry (src/lib/email/templates.ts, now removed) read exactly
// like this: what a student sees did not change when their callers moved onto the outbox.
describe("the emails that existed before the registry read the same", () => {
  const link = "https://learn.example.in/x?token=abc";
  const cases: [string, TemplateName, Record<string, unknown>, string, string][] = [
    [
      "verification",
      "email_verification",
      { name: "Asha", link },
      "Confirm your email address",
      "Hello Asha,\n\nPlease confirm that this is your email address.\n\nConfirm your email: https://learn.example.in/x?token=abc\n\nThe link expires in 48 hours. If you did not sign up, ignore this email.\n\n— Coaching\n",
    ],
    [
      "verification, 12 hours",
      "email_verification",
      { name: "Asha", link, expiresInHours: 12 },
      "Confirm your email address",
      "Hello Asha,\n\nPlease confirm that this is your email address.\n\nConfirm your email: https://learn.example.in/x?token=abc\n\nThe link expires in 12 hours. If you did not sign up, ignore this email.\n\n— Coaching\n",
    ],
    [
      "reset",
      "password_reset",
      { name: "Asha", link, expiresInMinutes: 30 },
      "Reset your password",
      "Hello Asha,\n\nSomeone (hopefully you) asked to reset your password.\n\nChoose a new password: https://learn.example.in/x?token=abc\n\nThe link expires in 30 minutes and works once. If you did not ask for this, ignore this email: your password stays the same.\n\n— Coaching\n",
    ],
    [
      "admin request verification",
      "admin_request_verification",
      { name: "Asha", link },
      "Confirm your admin access request",
      "Hello Asha,\n\nYou asked to become an admin. Confirm the request so a super admin can review it.\n\nConfirm the request: https://learn.example.in/x?token=abc\n\nThe link expires in 24 hours. If you did not ask for this, ignore this email.\n\n— Coaching\n",
    ],
    [
      "admin request approved",
      "admin_request_decision",
      { name: "Asha", link, decision: "approved" },
      "Your admin access request was approved",
      "Hello Asha,\n\nYour request for admin access was approved. Sign in again to use your new role.\n\nOpen Coaching: https://learn.example.in/x?token=abc\n\n— Coaching\n",
    ],
    [
      "admin request rejected",
      "admin_request_decision",
      { name: "Asha", link, decision: "rejected", reason: "Phone could not be verified" },
      "Your admin access request was declined",
      "Hello Asha,\n\nYour request for admin access was not approved.\n\nReason: Phone could not be verified\n\nOpen Coaching: https://learn.example.in/x?token=abc\n\n— Coaching\n",
    ],
    [
      "payment receipt",
      "payment_receipt",
      {
        name: "Asha",
        courseTitle: "JEE",
        batchName: "B1",
        amountPaise: 11_800_000,
        invoiceNumber: "INV-0042",
        invoiceLink: link,
      },
      "Payment received: INV-0042",
      "Hello Asha,\n\nWe received your payment of ₹1,18,000.00 for JEE (B1). Your seat is confirmed.\n\nYour GST invoice is INV-0042.\n\nDownload the invoice (sign in first): https://learn.example.in/x?token=abc\n\n— Coaching\n",
    ],
    [
      "automatic refund",
      "refund",
      {
        status: "initiated",
        automatic: true,
        name: "Asha",
        courseTitle: "JEE",
        batchName: "B1",
        amountPaise: 49_900,
        reason: "the batch is full",
      },
      "Your payment is being refunded",
      "Hello Asha,\n\nWe received ₹499.00 for JEE (B1), but could not give you the seat: the batch is full.\n\nThe full amount is being refunded to the account you paid from. Banks usually take 5 to 7 working days. Reply to this email if it has not arrived by then.\n\n— Coaching\n",
    ],
  ];

  it.for(cases)("%s", ([, name, vars, subject, text]) => {
    const mail = render(name, "email", vars);
    expect(mail.subject).toBe(subject);
    expect(mail.text).toBe(text);
    expect(mail.links).toEqual(text.includes(link) ? [link] : []);
    // The HTML twin: the same paragraphs, escaped, links as anchors, the same signature.
    const paragraphs = text.replace(/\n\n— Coaching\n$/, "").split("\n\n");
    const body = paragraphs
      .map((p) => {
        const at = p.lastIndexOf(": https://");
        if (at > 0 && p.slice(at + 2) === link) {
          return `<p><a href="${escapeHtml(link)}">${escapeHtml(p.slice(0, at))}</a></p>`;
        }
        return `<p>${escapeHtml(p)}</p>`;
      })
      .join("");
    expect(mail.html).toBe(
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title>` +
        `</head><body>${body}<p>— Coaching</p></body></html>`,
    );
  });
});

describe("WhatsApp parameters", () => {
  it("newlines, tabs and runs of spaces are flattened; empty becomes a dash", () => {
    expect(whatsappParam("Line one\nline two\r\n\tthree     four")).toBe(
      "Line one line two three four",
    );
    expect(whatsappParam("  a  \u2003 b  ")).toBe("a b");
    expect(whatsappParam(" \n\t ")).toBe("-");
    expect(whatsappParam("x".repeat(150), 100)).toBe(`${"x".repeat(99)}…`);
    expect(whatsappParam("😀".repeat(10), 5)).toBe("😀😀😀😀…");
  });

  it("a rendered template carries sanitised parameters", () => {
    const wa = render("ticket_reply", "whatsapp", {
      ...sampleOf("ticket_reply"),
      name: "Ishaan\n\nMehta",
      subject: "Refund\tplease      now",
      excerpt: `Dear student,\n\n${"word ".repeat(150)}`,
    });
    expect(wa.params[0]).toBe("Ishaan Mehta");
    expect(wa.params[2]).toBe("Refund please now");
    const excerpt = Array.from(wa.params[3] ?? "");
    expect(excerpt.length).toBeLessThanOrEqual(300);
    expect(excerpt.length).toBeGreaterThan(290);
    expect(wa.params[3]).toMatch(/^Dear student, word word .*…$/);
    for (const p of wa.params) expect(p).not.toMatch(/[\n\t]| {5}/);
    expect(wa.preview.length).toBeLessThanOrEqual(WHATSAPP_BODY_MAX);
  });

  it("the variant of a change picks its own Meta template", () => {
    expect(render("schedule_change", "whatsapp", sampleOf("schedule_change")).name).toBe(
      "schedule_change_rescheduled_v1",
    );
    expect(render("schedule_change", "whatsapp", cancelledClass()).name).toBe(
      "schedule_change_cancelled_v1",
    );
    expect(render("refund", "whatsapp", { ...sampleOf("refund"), status: "processed" })).toEqual(
      expect.objectContaining({
        name: "refund_processed_v1",
        params: ["Sneha Patel", "₹24,999.00", "CAT 2027 Quant Crash Course", "Batch 3"],
      }),
    );
  });
});

describe("SMS encoding", () => {
  it.each([
    ["", "GSM-7", 0],
    ["a".repeat(160), "GSM-7", 1],
    ["a".repeat(161), "GSM-7", 2],
    ["a".repeat(306), "GSM-7", 2],
    ["a".repeat(307), "GSM-7", 3],
    ["@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà", "GSM-7", 1],
    ["€".repeat(80), "GSM-7", 1], // 160 septets
    ["€".repeat(81), "GSM-7", 2], // 162 septets
    [`${"a".repeat(159)}[`, "GSM-7", 2], // 161 septets
    [`${"a".repeat(158)}|`, "GSM-7", 1],
    // An escape pair never straddles two parts: 152 + (2 → next part) + 152.
    [`${"a".repeat(152)}€${"a".repeat(152)}`, "GSM-7", 3],
    ["अ".repeat(70), "UCS-2", 1],
    ["अ".repeat(71), "UCS-2", 2],
    ["अ".repeat(134), "UCS-2", 2],
    ["अ".repeat(135), "UCS-2", 3],
    [`${"a".repeat(69)}₹`, "UCS-2", 1],
    [`${"a".repeat(70)}₹`, "UCS-2", 2],
    ["😀".repeat(35), "UCS-2", 1], // 70 UTF-16 units
    [`${"😀".repeat(35)}a`, "UCS-2", 2],
    // A surrogate pair never straddles two parts: 66 + (2 → next part) + 66.
    [`${"a".repeat(66)}😀${"a".repeat(66)}`, "UCS-2", 3],
    ["ç", "UCS-2", 1], // only capital Ç is in the GSM alphabet
  ])("%j → %s, %i part(s)", (text, encoding, segments) => {
    expect(smsEncoding(text)).toMatchObject({ encoding, segments });
  });

  it("extension characters count two septets", () => {
    expect(smsEncoding("^{}\\[~]|€").units).toBe(18);
    expect(smsEncoding("abc").units).toBe(3);
    expect(smsEncoding("a😀").units).toBe(3);
  });

  it("typographic punctuation in titles does not force UCS-2", () => {
    const title = "Physics – “Waves” … ₹ special";
    expect(smsEncoding(title).encoding).toBe("UCS-2");
    expect(toGsmFriendly(title)).toBe(`Physics - "Waves" ... Rs. special`);
    const sms = render("class_reminder", "sms", {
      ...sampleOf("class_reminder"),
      sessionTitle: "Waves – part 2",
    });
    expect(sms).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(sms.text).toContain("your class Waves - part 2 starts");
  });

  it("variables are cut to DLT's 30 characters; links are never cut", () => {
    const longLink = `https://learn.example.in/schedule/${"x".repeat(40)}`;
    const sms = render("class_reminder", "sms", {
      ...sampleOf("class_reminder"),
      sessionTitle: "Electrostatics and Current Electricity revision",
      link: longLink,
    });
    expect(sms.text).toContain("your class Electrostatics and Current... starts");
    expect(sms.text).toContain(longLink);
  });

  it("a Hindi title is sent as UCS-2 and counted honestly", () => {
    const sms = render("class_reminder", "sms", {
      ...sampleOf("class_reminder"),
      sessionTitle: "घूर्णन गति",
    });
    expect(sms.encoding).toBe("UCS-2");
    expect(sms.segments).toBe(2);
    expect(sms.text).toContain("घूर्णन गति");
  });

  it("amounts are written Rs. in SMS so the message stays GSM-7", () => {
    const sms = render("payment_receipt", "sms", sampleOf("payment_receipt"));
    expect(sms.text).toContain("Rs.1,18,000.00");
    expect(sms.text).not.toContain("₹");
  });
});

describe("quiet hours", () => {
  const lead = getTemplate("lead_follow_up");
  const receipt = getTemplate("payment_receipt");
  const ist = (s: string) => new Date(`${s}+05:30`);

  it.each([
    ["2026-12-07T08:59:59", true],
    ["2026-12-07T09:00:00", false],
    ["2026-12-07T20:59:59", false],
    ["2026-12-07T21:00:00", true],
    ["2026-12-07T23:30:00", true],
    ["2026-12-07T00:00:00", true],
  ])("%s IST quiet: %s", (at, quiet) => {
    expect(isQuietHours(ist(at))).toBe(quiet);
  });

  it("marketing waits for 09:00 IST; transactional goes now", () => {
    expect(earliestSendAt(lead, ist("2026-12-07T22:15:00"))).toEqual(ist("2026-12-08T09:00:00"));
    expect(earliestSendAt(lead, ist("2026-12-07T03:00:00"))).toEqual(ist("2026-12-07T09:00:00"));
    expect(earliestSendAt(lead, ist("2026-12-07T21:00:00"))).toEqual(ist("2026-12-08T09:00:00"));
    expect(earliestSendAt(lead, ist("2026-12-07T12:00:00"))).toEqual(ist("2026-12-07T12:00:00"));
    expect(earliestSendAt(receipt, ist("2026-12-07T23:00:00"))).toEqual(ist("2026-12-07T23:00:00"));
  });
});
