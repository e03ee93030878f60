/**
 * CSV import through the mounted app: good rows imported (deduplicated against contacts,
 * students and each other), bad rows reported by line, whole-file refusals, idempotency.
 */
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, contacts } from "../../src/db/schema";
import type { ImportResult } from "../../src/domains/leads/schemas";
import { IMPORT_MAX_BYTES, IMPORT_MAX_ROWS } from "../../src/domains/leads/service/import";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { activitiesOf, freshLeadEmail, freshMobile, makeLead } from "./support";

const upload = (h: Harness, admin: TestUser, csv: string, headers: Record<string, string> = {}) =>
  h.request<ImportResult & { code?: string; errors?: unknown }>(
    "POST",
    "/v1/admin/leads/import",
    undefined,
    {
      headers: { ...admin.auth, "Content-Type": "text/csv; charset=utf-8", ...headers },
      raw: csv,
    },
  );

describe("POST /v1/admin/leads/import", () => {
  it("imports good rows, merges duplicates (existing and within the file), reports bad rows by line", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const existing = await makeLead(h);
    const student = await h.asStudent();
    const [a, b] = [freshLeadEmail(), freshLeadEmail()];
    const digits = freshMobile();
    const csv = [
      "Name,Email,Phone,course_interest,utm_source,favourite_colour",
      `Asha,${a},0${digits},JEE,fb,blue`, // 2: new
      `Existing Person,${existing.email?.toUpperCase()},,NEET,,`, // 3: merged into the form's lead
      `Asha again,,+91 ${digits.slice(0, 5)} ${digits.slice(5)},,,`, // 4: same phone as line 2
      "No address,,,,,", // 5: bad
      `Bad phone,${b},12345,,,`, // 6: bad
      `"Quoted, name",${student.email},,,,`, // 7: a student
      `Short row,${freshLeadEmail()}`, // 8: bad
      "",
      `"Multi`,
      `line",${b},,,,`, // 10 (spans 10–11): new
    ].join("\r\n");
    const res = await upload(h, admin, csv);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ rows: 8, created: 3, merged: 2, rejected: 3 });
    expect(res.body.ignoredColumns).toEqual(["favourite_colour"]);
    expect(res.body.errors.map((e) => [e.line, e.field])).toEqual([
      [5, "email"],
      [6, "phone"],
      [8, "(row)"],
    ]);
    const outcome = Object.fromEntries(res.body.results.map((r) => [r.line, r]));
    expect(outcome[2]?.outcome).toBe("created");
    expect(outcome[3]).toMatchObject({ outcome: "merged", contactId: existing.id });
    expect(outcome[4]).toMatchObject({ outcome: "merged", contactId: outcome[2]?.contactId });
    expect(outcome[7]?.outcome).toBe("created");
    expect(outcome[10]?.outcome).toBe("created");

    const rows = await h.db
      .select()
      .from(contacts)
      .where(
        inArray(
          contacts.id,
          res.body.results.map((r) => r.contactId),
        ),
      );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(outcome[2]?.contactId ?? "")).toMatchObject({
      email: a,
      phone: `+91${digits}`,
      source: "import",
      leadStatus: "new",
      courseInterest: "JEE",
      utm: { utm_source: "fb" },
    });
    expect(byId.get(outcome[7]?.contactId ?? "")).toMatchObject({
      userId: student.id,
      name: "Quoted, name",
    });
    expect(byId.get(outcome[10]?.contactId ?? "")?.name).toBe("Multi\r\nline");
    expect(
      await h.db
        .select()
        .from(contacts)
        .where(eq(contacts.phone, `+91${digits}`)),
    ).toHaveLength(1);
    const activities = await activitiesOf(h, outcome[2]?.contactId ?? "");
    expect(activities.map((x) => [x.kind, x.data.line])).toEqual([
      ["lead_imported", 2],
      ["lead_imported", 4],
    ]);
    const audit = await h.db.select().from(auditLogs).where(eq(auditLogs.action, "lead.imported"));
    expect(audit.at(-1)).toMatchObject({
      actorId: admin.id,
      after: { created: 3, merged: 2, rejected: 3 },
    });
  });

  it("Idempotency-Key: the same file again replays, nothing is imported twice", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const email = freshLeadEmail();
    const csv = `name,email\nRavi,${email}\n`;
    const key = crypto.randomUUID();
    const first = await upload(h, admin, csv, { "Idempotency-Key": key });
    expect(first.status, first.text).toBe(200);
    const again = await upload(h, admin, csv, { "Idempotency-Key": key });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const [row] = await h.db.select().from(contacts).where(eq(contacts.email, email));
    expect(await activitiesOf(h, row?.id ?? "")).toHaveLength(1);
  });

  it.for([
    ["more than the byte limit", 413, () => `name,email\n${"x".repeat(IMPORT_MAX_BYTES)}\n`],
    [
      "more than the row limit",
      413,
      () =>
        `name,email\n${Array.from({ length: IMPORT_MAX_ROWS + 1 }, (_, i) => `N${i},n${i}@example.in`).join("\n")}`,
    ],
    ["an empty file", 400, () => ""],
    ["a header without name", 400, () => "email,phone\na@example.in,\n"],
    ["a header without email or phone", 400, () => "name,course_interest\nA,JEE\n"],
    ["an unclosed quote", 400, () => 'name,email\n"A,a@example.in\n'],
  ] as [string, number, () => string][])(
    "%s → %i, nothing imported",
    async ([, status, make], t) => {
      const h = await Harness.init(t);
      const admin = await h.asAdmin();
      const before = await h.db.select({ id: contacts.id }).from(contacts);
      const res = await upload(h, admin, make());
      expect(res.status, res.text.slice(0, 500)).toBe(status);
      expect(await h.db.select({ id: contacts.id }).from(contacts)).toHaveLength(before.length);
    },
  );

  it("JSON is refused with 415: the import takes text/csv", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const res = await h.post(
      "/v1/admin/leads/import",
      { csv: "name,email" },
      { headers: admin.auth },
    );
    expect(res.status, res.text).toBe(415);
  });
});
