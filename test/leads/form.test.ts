/**
 * The public lead form through the mounted app: Turnstile, deduplication (phones in any
 * spelling, emails in any case, students), concurrency, the email/phone conflict, reopening,
 * consent records, idempotency and the strict limit.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, consents, contacts } from "../../src/db/schema";
import { adminQuery } from "../support/database";
import { testEnv } from "../support/env";
import { Harness } from "../support/harness";
import {
  activitiesOf,
  contactByEmail,
  contactByPhone,
  freshIp,
  freshLeadEmail,
  freshMobile,
  makeLead,
  postLead,
} from "./support";

describe("POST /v1/leads", () => {
  it("the same phone written two ways is one lead with two activities", async (t) => {
    const h = await Harness.init(t);
    const digits = freshMobile();
    const first = await postLead(h, { phone: `0${digits}`, courseInterest: "JEE Physics" });
    expect(first.status, first.text).toBe(202);
    expect(first.body).toEqual({ status: "received" });
    const spaced = `+91 ${digits.slice(0, 5)} ${digits.slice(5)}`;
    const second = await postLead(h, { phone: spaced, name: "Asha R." });
    expect(second.status, second.text).toBe(202);
    // New and merged answer alike: nothing tells the caller the person was known.
    expect(second.text).toBe(first.text);

    const rows = await h.db
      .select()
      .from(contacts)
      .where(eq(contacts.phone, `+91${digits}`));
    expect(rows).toHaveLength(1);
    const lead = rows[0];
    expect(lead?.leadStatus).toBe("new");
    expect(lead?.source).toBe("website");
    expect(lead?.name).toBe("Asha Rao");
    const activities = await activitiesOf(h, lead?.id ?? "");
    expect(activities.map((a) => [a.kind, a.data.created])).toEqual([
      ["lead_submitted", true],
      ["lead_submitted", false],
    ]);
    const audits = await h.db
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.entityId, lead?.id ?? ""));
    expect(audits.map((a) => a.action).sort()).toEqual(["contact.created", "contact.matched"]);
  });

  it("emails match whatever their case and spaces", async (t) => {
    const h = await Harness.init(t);
    const email = freshLeadEmail();
    expect((await postLead(h, { email })).status).toBe(202);
    expect((await postLead(h, { email: `  ${email.toUpperCase()} ` })).status).toBe(202);
    const rows = await h.db.select().from(contacts).where(eq(contacts.email, email));
    expect(rows).toHaveLength(1);
    expect(await activitiesOf(h, rows[0]?.id ?? "")).toHaveLength(2);
  });

  it("a missing or wrong Turnstile token is 400 TURNSTILE_FAILED and stores nothing", async (t) => {
    const h = await Harness.init(t);
    const email = freshLeadEmail();
    const wrong = await postLead(h, { email, turnstileToken: "not-the-token" });
    expect(wrong.status, wrong.text).toBe(400);
    expect(wrong.body.code).toBe("TURNSTILE_FAILED");
    expect(wrong.body.errors?.[0]?.path).toBe("turnstileToken");
    const missing = await postLead(h, { email, turnstileToken: undefined });
    expect(missing.status, missing.text).toBe(400);
    expect(await contactByEmail(h, email)).toBeUndefined();
  });

  it.for([
    ["1x0000000000000000000000000000000AA", 202],
    ["2x0000000000000000000000000000000AA", 400],
  ] as const)(
    "through Cloudflare's siteverify (the fake), secret %s → %i",
    async ([secret, status], t) => {
      const h = await Harness.init(t, {
        env: {
          TURNSTILE_PROVIDER: "cloudflare",
          TURNSTILE_SECRET_KEY: secret,
          TURNSTILE_BASE_URL: (testEnv as unknown as Record<string, string>)
            .TEST_FAKE_TURNSTILE_URL,
        } as never,
      });
      const email = freshLeadEmail();
      const res = await postLead(h, { email });
      expect(res.status, res.text).toBe(status);
      expect(Boolean(await contactByEmail(h, email))).toBe(status === 202);
    },
  );

  it("Turnstile unreachable → 503 DEPENDENCY_UNAVAILABLE", async (t) => {
    const h = await Harness.init(t, {
      env: {
        TURNSTILE_PROVIDER: "cloudflare",
        TURNSTILE_SECRET_KEY: "test-secret",
        TURNSTILE_BASE_URL: `http://127.0.0.1:${testEnv.TEST_CLOSED_PORT}`,
      } as never,
    });
    const email = freshLeadEmail();
    const res = await postLead(h, { email });
    expect(res.status, res.text).toBe(503);
    expect(res.body.code).toBe("DEPENDENCY_UNAVAILABLE");
    expect(await contactByEmail(h, email)).toBeUndefined();
  });

  it.for([
    ["phone", { phone: "12345" }],
    ["phone", { phone: "+91 98765" }],
    ["email", { email: "not-an-email" }],
    ["email", {}],
  ] as [string, Record<string, string>][])(
    "invalid or missing address → 400 naming %s",
    async ([field, body], t) => {
      const h = await Harness.init(t);
      const res = await postLead(h, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
      expect(res.body.errors?.map((e) => e.path)).toContain(field);
    },
  );

  it("20 concurrent submissions of one person (phone spellings, email case) → one contact", async (t) => {
    const h = await Harness.init(t);
    const digits = freshMobile();
    const email = freshLeadEmail();
    const phones = [
      `0${digits}`,
      digits,
      `+91${digits}`,
      `+91 ${digits.slice(0, 5)} ${digits.slice(5)}`,
      `91-${digits}`,
    ];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postLead(h, {
          email: i % 2 ? email.toUpperCase() : email,
          phone: phones[i % phones.length],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    const byEmail = await h.db.select().from(contacts).where(eq(contacts.email, email));
    const byPhone = await h.db
      .select()
      .from(contacts)
      .where(eq(contacts.phone, `+91${digits}`));
    expect(byEmail).toHaveLength(1);
    expect(byPhone.map((c) => c.id)).toEqual(byEmail.map((c) => c.id));
    const activities = await activitiesOf(h, byEmail[0]?.id ?? "");
    expect(activities).toHaveLength(20);
    expect(activities.filter((a) => a.data.created === true)).toHaveLength(1);
  });

  it("email of contact A and phone of contact B: merged into A, conflict recorded, B keeps its phone", async (t) => {
    const h = await Harness.init(t);
    const a = await makeLead(h, { name: "Contact A" });
    const bPhone = freshMobile();
    const b = await makeLead(h, { name: "Contact B", phone: bPhone });
    const res = await postLead(h, { email: a.email ?? "", phone: bPhone, message: "Hi" });
    expect(res.status, res.text).toBe(202);

    const afterA = await contactByEmail(h, a.email ?? "");
    const afterB = await contactByPhone(h, `+91${bPhone}`);
    expect(afterA?.id).toBe(a.id);
    expect(afterA?.phone).toBeNull();
    expect(afterB?.id).toBe(b.id);
    const aActivities = await activitiesOf(h, a.id);
    expect(aActivities.at(-1)?.data).toMatchObject({
      conflict: { contactId: b.id, field: "phone" },
      unused: { phone: `+91${bPhone}` },
    });
    const bActivities = await activitiesOf(h, b.id);
    expect(bActivities.at(-1)).toMatchObject({ kind: "contact_conflict" });
    expect(bActivities.at(-1)?.data).toMatchObject({ mergedInto: a.id });
  });

  it("a missing phone is filled in on the matched contact", async (t) => {
    const h = await Harness.init(t);
    const a = await makeLead(h);
    const digits = freshMobile();
    expect((await postLead(h, { email: a.email ?? "", phone: digits })).status).toBe(202);
    expect((await contactByEmail(h, a.email ?? ""))?.phone).toBe(`+91${digits}`);
  });

  it("a lost lead submitting again reopens as new", async (t) => {
    const h = await Harness.init(t);
    const lead = await makeLead(h);
    await adminQuery(
      "UPDATE contacts SET lead_status = 'lost', lost_reason = 'No budget' WHERE id = $1",
      [lead.id],
      h.database,
    );
    expect((await postLead(h, { email: lead.email ?? "" })).status).toBe(202);
    const after = await contactByEmail(h, lead.email ?? "");
    expect(after?.leadStatus).toBe("new");
    expect(after?.lostReason).toBeNull();
    expect((await activitiesOf(h, lead.id)).at(-1)?.data).toMatchObject({ reopened: true });
  });

  it("a student (users row, no contact) becomes a new lead linked to the account", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const res = await postLead(h, { email: student.email.toUpperCase() });
    expect(res.status, res.text).toBe(202);
    const contact = await contactByEmail(h, student.email);
    expect(contact?.userId).toBe(student.id);
    expect(contact?.leadStatus).toBe("new");
  });

  it("a student matched by phone is linked too", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const digits = freshMobile();
    await adminQuery(
      "UPDATE users SET phone = $2 WHERE id = $1",
      [student.id, `+91${digits}`],
      h.database,
    );
    expect((await postLead(h, { phone: `0${digits}` })).status).toBe(202);
    expect((await contactByPhone(h, `+91${digits}`))?.userId).toBe(student.id);
  });

  it("someone else's email with a student's phone is not joined to the student, nor is staff", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const admin = await h.asAdmin();
    const [studentPhone, adminPhone] = [freshMobile(), freshMobile()];
    await adminQuery(
      "UPDATE users SET phone = $2 WHERE id = $1",
      [student.id, `+91${studentPhone}`],
      h.database,
    );
    await adminQuery(
      "UPDATE users SET phone = $2 WHERE id = $1",
      [admin.id, `+91${adminPhone}`],
      h.database,
    );
    const stranger = freshLeadEmail();
    expect((await postLead(h, { email: stranger, phone: studentPhone })).status).toBe(202);
    expect((await contactByEmail(h, stranger))?.userId).toBeNull();
    expect((await postLead(h, { phone: adminPhone })).status).toBe(202);
    expect((await contactByPhone(h, `+91${adminPhone}`))?.userId).toBeNull();
  });

  it("a student-only contact (no lead status) becomes a new lead", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const [c] = await adminQuery<{ id: string }>(
      "INSERT INTO contacts (name, email, user_id, source) VALUES ('S', $1, $2, 'admin') RETURNING id",
      [student.email, student.id],
      h.database,
    );
    expect((await postLead(h, { email: student.email })).status).toBe(202);
    const after = await contactByEmail(h, student.email);
    expect(after?.id).toBe(c?.id);
    expect(after?.leadStatus).toBe("new");
  });

  it("consent is recorded as given: channels, wording, form, address and user agent", async (t) => {
    const h = await Harness.init(t);
    const email = freshLeadEmail();
    const ip = freshIp();
    const res = await postLead(
      h,
      {
        email,
        phone: freshMobile(),
        utmSource: "google",
        utmCampaign: "jee-2027",
        consent: { whatsapp: true, sms: false, wording: "You may message me on WhatsApp." },
      },
      { ip, headers: { "User-Agent": "LeadTest/1.0" } },
    );
    expect(res.status, res.text).toBe(202);
    const contact = await contactByEmail(h, email);
    expect(contact?.utm).toEqual({ utm_source: "google", utm_campaign: "jee-2027" });
    const rows = await h.db
      .select()
      .from(consents)
      .where(eq(consents.contactId, contact?.id ?? ""));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      channel: "whatsapp",
      granted: true,
      source: "website_lead_form",
      wording: "You may message me on WhatsApp.",
      ip,
      userAgent: "LeadTest/1.0",
    });
  });

  it("Idempotency-Key: a retry replays the answer and records nothing more", async (t) => {
    const h = await Harness.init(t);
    const email = freshLeadEmail();
    const ip = freshIp();
    const key = crypto.randomUUID();
    const first = await postLead(h, { email }, { ip, headers: { "Idempotency-Key": key } });
    const again = await postLead(h, { email }, { ip, headers: { "Idempotency-Key": key } });
    expect(first.status, first.text).toBe(202);
    expect(again.status, again.text).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual({ status: "received" });
    const contact = await contactByEmail(h, email);
    expect(await activitiesOf(h, contact?.id ?? "")).toHaveLength(1);
    const other = await postLead(
      h,
      { email: freshLeadEmail() },
      { ip, headers: { "Idempotency-Key": key } },
    );
    expect(other.status, other.text).toBe(422);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("the strict policy: the sixth submission a minute from one address is 429", async (t) => {
    const h = await Harness.init(t);
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await postLead(h, { email: freshLeadEmail() }, { ip })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    const denied = await postLead(h, { email: freshLeadEmail() }, { ip });
    expect(denied.body.code).toBe("RATE_LIMITED");
    expect(denied.headers.get("Retry-After")).toBeTruthy();
    // Another address is unaffected.
    expect((await postLead(h, { email: freshLeadEmail() })).status).toBe(202);
  });
});
