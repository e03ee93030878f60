/**
 * The transactional emails, as plain text plus a minimal HTML twin. Every interpolated value is
 * HTML-escaped (names and reasons are user input), and links must be http(s) so a crafted
 * `javascript:` URL can never become a clickable href.
 */

export interface RenderedEmail {
  template: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
}

const PRODUCT = "Coaching";

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** `${base}${path}?k=v…` for action links (verification, reset) built from APP_BASE_URL. */
export function actionLink(baseUrl: string, path: string, params: Record<string, string> = {}) {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return safeLink(url.toString());
}

function safeLink(link: string): string {
  const url = new URL(link);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`email links must be http(s), got ${url.protocol}`);
  }
  return url.toString();
}

type Block = { p: string } | { link: string; label: string };

function render(template: string, subject: string, blocks: Block[]): RenderedEmail {
  const links: string[] = [];
  const text: string[] = [];
  const html: string[] = [];
  for (const block of blocks) {
    if ("p" in block) {
      text.push(block.p);
      html.push(`<p>${escapeHtml(block.p).replaceAll("\n", "<br>")}</p>`);
    } else {
      const href = safeLink(block.link);
      links.push(href);
      text.push(`${block.label}: ${href}`);
      html.push(`<p><a href="${escapeHtml(href)}">${escapeHtml(block.label)}</a></p>`);
    }
  }
  return {
    template,
    subject,
    text: `${text.join("\n\n")}\n\n— ${PRODUCT}\n`,
    html:
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title>` +
      `</head><body>${html.join("")}<p>— ${PRODUCT}</p></body></html>`,
    links,
  };
}

const hello = (name: string) => ({ p: `Hello ${name},` });
const hours = (n: number) => (n === 1 ? "1 hour" : `${n} hours`);

export function emailVerificationEmail(input: {
  name: string;
  link: string;
  expiresInHours?: number;
}): RenderedEmail {
  return render("email_verification", "Confirm your email address", [
    hello(input.name),
    { p: "Please confirm that this is your email address." },
    { link: input.link, label: "Confirm your email" },
    {
      p: `The link expires in ${hours(input.expiresInHours ?? 48)}. If you did not sign up, ignore this email.`,
    },
  ]);
}

export function passwordResetEmail(input: {
  name: string;
  link: string;
  expiresInMinutes?: number;
}): RenderedEmail {
  return render("password_reset", "Reset your password", [
    hello(input.name),
    { p: "Someone (hopefully you) asked to reset your password." },
    { link: input.link, label: "Choose a new password" },
    {
      p: `The link expires in ${input.expiresInMinutes ?? 60} minutes and works once. If you did not ask for this, ignore this email: your password stays the same.`,
    },
  ]);
}

export function adminRequestVerificationEmail(input: {
  name: string;
  link: string;
  expiresInHours?: number;
}): RenderedEmail {
  return render("admin_request_verification", "Confirm your admin access request", [
    hello(input.name),
    { p: "You asked to become an admin. Confirm the request so a super admin can review it." },
    { link: input.link, label: "Confirm the request" },
    {
      p: `The link expires in ${hours(input.expiresInHours ?? 24)}. If you did not ask for this, ignore this email.`,
    },
  ]);
}

export function adminRequestDecisionEmail(input: {
  name: string;
  decision: "approved" | "rejected";
  /** Shown to the requester when rejected. */
  reason?: string;
  /** Where to sign in next. */
  link: string;
}): RenderedEmail {
  const approved = input.decision === "approved";
  const blocks: Block[] = [
    hello(input.name),
    {
      p: approved
        ? "Your request for admin access was approved. Sign in again to use your new role."
        : "Your request for admin access was not approved.",
    },
  ];
  if (!approved && input.reason) blocks.push({ p: `Reason: ${input.reason}` });
  blocks.push({ link: input.link, label: `Open ${PRODUCT}` });
  return render(
    "admin_request_decision",
    approved ? "Your admin access request was approved" : "Your admin access request was declined",
    blocks,
  );
}

/** A class time as a student reads it: in the batch's zone, e.g. "Tuesday, 5 January 2027 at 10:00 am IST". */
export function classTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-IN", {
    timeZone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(at);
}

interface ClassEmailInput {
  name: string;
  courseTitle: string;
  batchName: string;
  sessionTitle: string;
  /** IANA zone the times are shown in (the batch's). */
  timezone: string;
  /** Where the student's schedule is. */
  link: string;
}

export function sessionRescheduledEmail(
  input: ClassEmailInput & { previousStartsAt: Date; startsAt: Date; durationMinutes: number },
): RenderedEmail {
  const moved = input.previousStartsAt.getTime() !== input.startsAt.getTime();
  return render("session_rescheduled", `Class changed: ${input.sessionTitle}`, [
    hello(input.name),
    {
      p: `A class of ${input.courseTitle} (${input.batchName}) has changed: ${input.sessionTitle}.`,
    },
    {
      p: moved
        ? `New time: ${classTime(input.startsAt, input.timezone)} (was ${classTime(input.previousStartsAt, input.timezone)}), ${input.durationMinutes} minutes.`
        : `Time: ${classTime(input.startsAt, input.timezone)}, ${input.durationMinutes} minutes.`,
    },
    { link: input.link, label: "See your schedule" },
  ]);
}

export function sessionCancelledEmail(input: ClassEmailInput & { startsAt: Date }): RenderedEmail {
  return render("session_cancelled", `Class cancelled: ${input.sessionTitle}`, [
    hello(input.name),
    {
      p: `The class ${input.sessionTitle} of ${input.courseTitle} (${input.batchName}) on ${classTime(input.startsAt, input.timezone)} is cancelled.`,
    },
    { link: input.link, label: "See your schedule" },
  ]);
}

/** Rupees with two decimals from integer paise (no float arithmetic): 49900 → "₹499.00". */
export function rupees(paise: number): string {
  const whole = Math.trunc(paise / 100);
  const rest = String(Math.abs(paise % 100)).padStart(2, "0");
  return `₹${whole.toLocaleString("en-IN")}.${rest}`;
}

export function paymentReceiptEmail(input: {
  name: string;
  course: string;
  batch: string;
  amountPaise: number;
  invoiceNumber: string;
  invoiceLink: string;
}): RenderedEmail {
  return render("payment_receipt", `Payment received: ${input.invoiceNumber}`, [
    hello(input.name),
    {
      p: `We received your payment of ${rupees(input.amountPaise)} for ${input.course} (${input.batch}). Your seat is confirmed.`,
    },
    { p: `Your GST invoice is ${input.invoiceNumber}.` },
    { link: input.invoiceLink, label: "Download the invoice (sign in first)" },
  ]);
}

export function automaticRefundEmail(input: {
  name: string;
  course: string;
  batch: string;
  amountPaise: number;
  reason: string;
}): RenderedEmail {
  return render("payment_refunded", "Your payment is being refunded", [
    hello(input.name),
    {
      p: `We received ${rupees(input.amountPaise)} for ${input.course} (${input.batch}), but could not give you the seat: ${input.reason}.`,
    },
    {
      p: "The full amount is being refunded to the account you paid from. Banks usually take 5 to 7 working days. Reply to this email if it has not arrived by then.",
    },
  ]);
}
