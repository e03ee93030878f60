import { describe, expect, it } from "vitest";
import {
  actionLink,
  adminRequestDecisionEmail,
  adminRequestVerificationEmail,
  emailVerificationEmail,
  escapeHtml,
  passwordResetEmail,
  type RenderedEmail,
} from "../../src/lib/email";

const EVIL = `<script>alert("x")</script> & 'friends'`;
const LINK = "https://app.coaching.test/verify?token=a1&x=<b>";

const all: [string, (name: string, link: string) => RenderedEmail][] = [
  ["email verification", (name, link) => emailVerificationEmail({ name, link })],
  ["password reset", (name, link) => passwordResetEmail({ name, link })],
  ["admin-request verification", (name, link) => adminRequestVerificationEmail({ name, link })],
  [
    "admin-request approval",
    (name, link) => adminRequestDecisionEmail({ name, link, decision: "approved" }),
  ],
  [
    "admin-request rejection",
    (name, link) => adminRequestDecisionEmail({ name, link, decision: "rejected", reason: EVIL }),
  ],
];

describe("email templates", () => {
  it.for(all)("%s: escapes every interpolated value in the HTML", ([, build]) => {
    const mail = build(EVIL, LINK);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain(`"x"`);
    expect(mail.html).toContain(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;",
    );
    // The link is normalised by URL (so `<b>` is percent-encoded) and attribute-escaped.
    const href = new URL(LINK).toString();
    expect(mail.html).toContain(`href="${escapeHtml(href)}"`);
    expect(mail.links).toEqual([href]);
    // Plain text carries the values as they are.
    expect(mail.text).toContain(`Hello ${EVIL},`);
    expect(mail.text).toContain(href);
    expect(mail.subject.length).toBeGreaterThan(0);
    expect(mail.template).toMatch(/^[a-z_]+$/);
  });

  it.for(all)("%s: refuses a non-http(s) link", ([, build]) => {
    expect(() => build("Asha", "javascript:alert(1)")).toThrow(/http\(s\)/);
  });

  it("the rejection shows the reason; the approval has none", () => {
    const link = "https://app.coaching.test/";
    const rejected = adminRequestDecisionEmail({
      name: "Asha",
      link,
      decision: "rejected",
      reason: "Phone could not be verified",
    });
    expect(rejected.subject).toMatch(/declined/);
    expect(rejected.text).toContain("Reason: Phone could not be verified");
    const approved = adminRequestDecisionEmail({ name: "Asha", link, decision: "approved" });
    expect(approved.subject).toMatch(/approved/);
    expect(approved.text).not.toContain("Reason");
  });

  it("expiry wording follows the inputs", () => {
    const link = "https://app.coaching.test/x";
    expect(emailVerificationEmail({ name: "A", link }).text).toContain("48 hours");
    expect(adminRequestVerificationEmail({ name: "A", link }).text).toContain("24 hours");
    expect(passwordResetEmail({ name: "A", link, expiresInMinutes: 30 }).text).toContain(
      "30 minutes",
    );
  });

  it("actionLink builds links under the app's base URL and encodes parameters", () => {
    expect(actionLink("https://app.coaching.test", "/verify-email", { token: "a+b/c=" })).toBe(
      "https://app.coaching.test/verify-email?token=a%2Bb%2Fc%3D",
    );
    expect(() => actionLink("ftp://files.test", "/x")).toThrow(/http\(s\)/);
  });
});
