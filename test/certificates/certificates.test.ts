/**
 * Certificates through the mounted app: issuing by the attendance rule (and again, issuing
 * nothing twice), the public verify page with its cache and exact revocation, mistyped codes,
 * the signed credential against the published keys, manual issue, the printed name, lists.
 */
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import type {
  CertificateView,
  IssueResult,
  Verification,
} from "../../src/domains/certificates/schemas";
import { newCertificateCode } from "../../src/lib/certificates/code";
import { verifyCertificateCredential } from "../../src/lib/certificates/credential";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";
import { insertEnrolment, insertInterval, insertSession } from "../support/learning";

const HOUR = 3_600_000;

interface Setup {
  h: Harness;
  admin: TestUser;
  batchId: string;
  students: { full: TestUser; half: TestUser; cancelled: TestUser; most: TestUser };
  enrolments: Record<"full" | "half" | "cancelled" | "most", string>;
}

/** A completed batch with one 60-minute class and four students with different attendance. */
async function completedBatch(t: Parameters<typeof Harness.init>[0]): Promise<Setup> {
  const h = await Harness.init(t);
  const db = h.database;
  const course = await insertCourse(db, { title: "JEE Physics" });
  const batch = await insertBatch(db, course.id, { name: "Morning", status: "completed" });
  const start = new Date(Date.now() - 48 * HOUR);
  const session = await insertSession(db, batch.id, {
    startsAt: start,
    durationMinutes: 60,
    status: "ended",
    startedAt: start,
    endedAt: new Date(start.getTime() + HOUR),
  });
  const full = await h.asStudent();
  const half = await h.asStudent();
  const cancelled = await h.asStudent();
  const most = await h.asStudent();
  const minutes = (n: number) => new Date(start.getTime() + n * 60_000);
  const enrolments = {
    full: (await insertEnrolment(db, full.id, batch.id)).id,
    half: (await insertEnrolment(db, half.id, batch.id)).id,
    cancelled: (await insertEnrolment(db, cancelled.id, batch.id, { status: "cancelled" })).id,
    most: (await insertEnrolment(db, most.id, batch.id)).id,
  };
  await insertInterval(db, session.id, full.id, minutes(0), minutes(60));
  await insertInterval(db, session.id, half.id, minutes(0), minutes(30));
  await insertInterval(db, session.id, cancelled.id, minutes(0), minutes(60));
  await insertInterval(db, session.id, most.id, minutes(10), minutes(59));
  return {
    h,
    admin: await h.asAdmin(),
    batchId: batch.id,
    students: { full, half, cancelled, most },
    enrolments,
  };
}

const issue = (s: Setup) =>
  s.h.post<unknown, IssueResult>(`/v1/admin/batches/${s.batchId}/certificates`, undefined, {
    headers: s.admin.auth,
  });

/** Each verify from its own address: the `strict` limit (5 a minute) is per address. */
let n = 0;
const verify = (s: Setup, code: string) =>
  s.h.get<Verification>(`/v1/certificates/verify/${encodeURIComponent(code)}`, {
    headers: { "CF-Connecting-IP": `198.51.${Math.floor(++n / 250) % 250}.${(n % 250) + 1}` },
  });

describe("issuing", () => {
  it("issues to the eligible, skips the rest with a reason, and never issues twice", async (t) => {
    const s = await completedBatch(t);
    const first = await issue(s);
    expect(first.status).toBe(200);
    expect(first.body.issued.map((c) => c.enrolmentId).sort()).toEqual(
      [s.enrolments.full, s.enrolments.most].sort(),
    );
    const reasons = Object.fromEntries(first.body.skipped.map((k) => [k.enrolmentId, k.reason]));
    expect(reasons).toEqual({
      [s.enrolments.half]: "attendance_below_rule",
      [s.enrolments.cancelled]: "enrolment_not_active",
    });
    const full = first.body.issued.find((c) => c.enrolmentId === s.enrolments.full);
    expect(full).toMatchObject({ status: "valid", course: "JEE Physics", batch: "Morning" });
    expect(full?.attendancePct).toBe(100);
    expect(full?.code).toMatch(
      /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/,
    );
    const again = await issue(s);
    expect(again.body.issued).toEqual([]);
    expect(again.body.skipped.filter((k) => k.reason === "already_issued")).toHaveLength(2);
    const [row] = await adminQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM certificates WHERE batch_id = $1",
      [s.batchId],
      s.h.database,
    );
    expect(row?.n).toBe(2);
  });

  it("runs only for a completed batch, and only for admins", async (t) => {
    const s = await completedBatch(t);
    await adminQuery(
      "UPDATE batches SET status = 'running' WHERE id = $1",
      [s.batchId],
      s.h.database,
    );
    expect((await issue(s)).status).toBe(409);
    const student = await s.h.post(`/v1/admin/batches/${s.batchId}/certificates`, undefined, {
      headers: s.students.full.auth,
    });
    expect(student.status).toBe(403);
  });

  it("a manual issue outside the rule records its reason; a second one for the enrolment is 409", async (t) => {
    const s = await completedBatch(t);
    const body = { enrolmentId: s.enrolments.half, reason: "Medical leave, assessed separately" };
    const res = await s.h.post<unknown, CertificateView>("/v1/admin/certificates", body, {
      headers: s.admin.auth,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ source: "manual", attendancePct: 50 });
    const [audit] = await adminQuery<{ after: { manualReason: string } }>(
      "SELECT after FROM audit_logs WHERE action = 'certificate.issue_manual' AND entity_id = $1",
      [res.body.id],
      s.h.database,
    );
    expect(audit?.after.manualReason).toBe(body.reason);
    expect((await s.h.post("/v1/admin/certificates", body, { headers: s.admin.auth })).status).toBe(
      409,
    );
  });

  it("prints the name the student set once; a second change is refused", async (t) => {
    const s = await completedBatch(t);
    const put = (name: string) =>
      s.h.put("/v1/me/certificate-name", { name }, { headers: s.students.full.auth });
    // A direction override could make the name read as someone else's: refused, nothing set.
    expect((await put("Ram \u202EramuK")).status).toBe(400);
    expect((await put("Ram\u200BKumar")).status).toBe(400);
    expect((await put("राम कुमार")).status).toBe(200);
    expect((await put("Ram Kumar")).status).toBe(409);
    const issued = await issue(s);
    expect(issued.body.issued.find((c) => c.enrolmentId === s.enrolments.full)?.name).toBe(
      "राम कुमार",
    );
  });
});

describe("verifying", () => {
  it("valid, then a cache hit, then revoked on the very next request; nothing else about the student", async (t) => {
    const s = await completedBatch(t);
    const cert = (await issue(s)).body.issued[0] as CertificateView;
    const first = await verify(s, cert.code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "valid", code: cert.code, revocation: null });
    expect(first.body.certificate).toEqual({
      name: cert.name,
      course: cert.course,
      batch: cert.batch,
      startDate: cert.startDate,
      endDate: cert.endDate,
      issuedAt: cert.issuedAt,
      issuer: cert.issuer,
    });
    expect(first.text).not.toContain(cert.userId);
    expect(first.text).not.toContain("@");
    const second = await verify(s, cert.code.toLowerCase().replaceAll("-", " "));
    expect(second.headers.get("Cache-Status")).toMatch(/; hit$/);
    expect(second.body.status).toBe("valid");

    const revoked = await s.h.post<unknown, CertificateView>(
      `/v1/admin/certificates/${cert.id}/revoke`,
      { reasonCategory: "misconduct", note: "Plagiarised project" },
      { headers: s.admin.auth },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe("revoked");
    const after = await verify(s, cert.code);
    // The facts still come from the cache; the status never does.
    expect(after.headers.get("Cache-Status")).toMatch(/; hit$/);
    expect(after.body.status).toBe("revoked");
    expect(after.body.revocation?.reasonCategory).toBe("misconduct");
    expect(after.text).not.toContain("Plagiarised");
    // A batch issue run later does not hand the student a new one: only a manual issue can.
    const rerun = await issue(s);
    expect(rerun.body.issued.map((c) => c.enrolmentId)).not.toContain(cert.enrolmentId);
    expect(rerun.body.skipped.find((k) => k.enrolmentId === cert.enrolmentId)?.reason).toBe(
      "previously_revoked",
    );
    // Final.
    const again = await s.h.post(
      `/v1/admin/certificates/${cert.id}/revoke`,
      { reasonCategory: "other", note: "again" },
      { headers: s.admin.auth },
    );
    expect(again.status).toBe(409);
  });

  it("a mistyped code says so; a malformed one is 400; a well-formed unknown code is unknown", async (t) => {
    const s = await completedBatch(t);
    const cert = (await issue(s)).body.issued[0] as CertificateView;
    const compact = cert.code.replaceAll("-", "");
    const swapped = compact[5] === "7" ? "8" : "7";
    const typo = `${compact.slice(0, 5)}${swapped}${compact.slice(6)}`;
    const mistyped = await verify(s, typo);
    expect(mistyped.status).toBe(400);
    expect((mistyped.body as unknown as { reason: string }).reason).toBe("mistyped");
    const malformed = await verify(s, "not-a-code");
    expect(malformed.status).toBe(400);
    expect((malformed.body as unknown as { reason: string }).reason).toBe("malformed");
    const unknown = await verify(s, newCertificateCode());
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ status: "unknown", certificate: null });
  });

  it("the strict limit per address stops walking the code space", async (t) => {
    const s = await completedBatch(t);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await s.h.get(`/v1/certificates/verify/${newCertificateCode()}`, {
        headers: { "CF-Connecting-IP": "203.0.113.99" },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});

describe("the credential", () => {
  it("verifies with the published keys, fails when one payload byte changes, and is gone once revoked", async (t) => {
    const s = await completedBatch(t);
    const cert = (await issue(s)).body.issued[0] as CertificateView;
    const res = await s.h.fetch(cert.credentialUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vc+jwt");
    const jwt = await res.text();
    const jwks = (await (await s.h.fetch("/.well-known/jwks.json")).json()) as never;
    const payload = await verifyCertificateCredential(jwt, jwks);
    expect(JSON.stringify(payload)).toContain(cert.code);
    expect(JSON.stringify(payload)).not.toContain(s.students.full.email);
    const [head, body, sig] = jwt.split(".") as [string, string, string];
    const flipped = `${body.slice(0, 10)}${body[10] === "A" ? "B" : "A"}${body.slice(11)}`;
    await expect(verifyCertificateCredential(`${head}.${flipped}.${sig}`, jwks)).rejects.toThrow();
    await s.h.post(
      `/v1/admin/certificates/${cert.id}/revoke`,
      { reasonCategory: "issued_in_error", note: "Wrong batch" },
      { headers: s.admin.auth },
    );
    expect((await s.h.fetch(cert.credentialUrl)).status).toBe(410);
  });
});

describe("the PDF", () => {
  it("renders for anyone, and carries REVOKED once revoked", async (t) => {
    const s = await completedBatch(t);
    const cert = (await issue(s)).body.issued[0] as CertificateView;
    const res = await s.h.fetch(cert.pdfUrl, { headers: { "CF-Connecting-IP": "192.0.2.10" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    const doc = await PDFDocument.load(await res.arrayBuffer());
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).not.toContain("REVOKED");
    await s.h.post(
      `/v1/admin/certificates/${cert.id}/revoke`,
      { reasonCategory: "issued_in_error", note: "Wrong batch" },
      { headers: s.admin.auth },
    );
    const after = await s.h.fetch(cert.pdfUrl, { headers: { "CF-Connecting-IP": "192.0.2.11" } });
    const revoked = await PDFDocument.load(await after.arrayBuffer());
    expect(revoked.getTitle()).toContain("REVOKED");
    const missing = await s.h.fetch(`/v1/certificates/${newCertificateCode()}.pdf`, {
      headers: { "CF-Connecting-IP": "192.0.2.12" },
    });
    expect(missing.status).toBe(404);
  });
});

describe("lists", () => {
  it("students see their own; admins filter by batch, status and code", async (t) => {
    const s = await completedBatch(t);
    const issued = (await issue(s)).body.issued;
    const mine = await s.h.get<{ data: CertificateView[] }>("/v1/me/certificates", {
      headers: s.students.full.auth,
    });
    expect(mine.body.data.map((c) => c.enrolmentId)).toEqual([s.enrolments.full]);
    const none = await s.h.get<{ data: CertificateView[] }>("/v1/me/certificates", {
      headers: s.students.half.auth,
    });
    expect(none.body.data).toEqual([]);
    const byBatch = await s.h.get<{ data: CertificateView[] }>(
      `/v1/admin/certificates?batchId=${s.batchId}&status=valid`,
      { headers: s.admin.auth },
    );
    expect(byBatch.body.data).toHaveLength(2);
    const code = issued[0]?.code ?? "";
    const byCode = await s.h.get<{ data: CertificateView[] }>(
      `/v1/admin/certificates?q=${encodeURIComponent(code)}`,
      { headers: s.admin.auth },
    );
    expect(byCode.body.data.map((c) => c.code)).toEqual([code]);
    expect(
      (await s.h.get("/v1/admin/certificates", { headers: s.students.full.auth })).status,
    ).toBe(403);
  });
});
