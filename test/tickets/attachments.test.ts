/**
 * Ticket attachments through the mounted app: the type read from the bytes (not the name or
 * Content-Type), sanitised names, size and count limits, who may upload and download, the
 * download's headers, the R2 object kept in step with its row, and the `upload` rate limit.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ticketAttachments } from "../../src/db/schema";
import { Harness, type TestResponse } from "../support/harness";
import type { TestUser } from "../support/identity";
import { openTicket, PNG, pdfOf, upload } from "./support";

const MB = 1024 * 1024;

type Attachment = {
  id: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  uploadedBy: string;
  url: string;
  code?: string;
};

const rowsOf = (h: Harness, ticketId: string) =>
  h.db.select().from(ticketAttachments).where(eq(ticketAttachments.ticketId, ticketId));

async function objectsOf(h: Harness, ticketId: string) {
  const listed = await h.env.FILES.list({ prefix: `tickets/${ticketId}/` });
  return listed.objects.map((o) => o.key).sort();
}

async function sha256(bytes: Uint8Array | ArrayBuffer) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const send = (
  h: Harness,
  user: TestUser,
  ticketId: string,
  bytes: Uint8Array,
  name: string,
  type?: string,
) =>
  upload(h, user, ticketId, bytes, name, type) as Promise<{
    status: number;
    headers: Headers;
    body: Attachment;
    text: string;
  }>;

async function setup(t: Parameters<typeof Harness.init>[0]) {
  const h = await Harness.init(t);
  const student = await h.asStudent();
  const ticket = await openTicket(h, student);
  return { h, student, ticket };
}

describe("what may be attached", () => {
  it("an HTML page named .png with Content-Type image/png is 415, and nothing is stored", async (t) => {
    const { h, student, ticket } = await setup(t);
    const html = new TextEncoder().encode(
      "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    );
    const res = await send(h, student, ticket.id, html, "cat.png", "image/png");
    expect(res.status, res.text).toBe(415);
    expect(res.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(await rowsOf(h, ticket.id)).toHaveLength(0);
    expect(await objectsOf(h, ticket.id)).toEqual([]);
  });

  it("a 9 MB PDF is stored and downloaded byte for byte, as a download", async (t) => {
    const { h, student, ticket } = await setup(t);
    const bytes = pdfOf(9 * MB);
    const res = await send(h, student, ticket.id, bytes, "report.pdf", "application/pdf");
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      fileName: "report.pdf",
      contentType: "application/pdf",
      sizeBytes: 9 * MB,
      uploadedBy: "student",
      url: `/v1/attachments/${res.body.id}`,
    });
    const [row] = await rowsOf(h, ticket.id);
    expect(row?.objectKey).toBe(`tickets/${ticket.id}/${res.body.id}`);
    expect(row?.sha256).toBe(await sha256(bytes));
    const head = await h.env.FILES.head(row?.objectKey ?? "");
    expect(head?.size).toBe(9 * MB);
    expect(head?.httpMetadata?.contentType).toBe("application/pdf");

    const download = await h.fetch(res.body.url, { headers: student.auth });
    expect(download.status).toBe(200);
    const got = new Uint8Array(await download.arrayBuffer());
    expect(got.byteLength).toBe(bytes.byteLength);
    expect(await sha256(got)).toBe(await sha256(bytes));
    expect(download.headers.get("Content-Type")).toBe("application/pdf");
    expect(download.headers.get("Content-Disposition")).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(download.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(download.headers.get("Cache-Control")).toBe("private, no-store");
    expect(download.headers.get("ETag")).toBe(`"${await sha256(bytes)}"`);

    // Another student: as if it did not exist. An admin: the file. Nobody signed in: 401.
    const stranger = await h.asStudent();
    const theirs = await h.get(res.body.url, { headers: stranger.auth });
    expect(theirs.status).toBe(404);
    expect(theirs.text).not.toContain("%PDF");
    const admin = await h.asAdmin();
    const support = await h.fetch(res.body.url, { headers: admin.auth });
    expect(support.status).toBe(200);
    expect((await support.arrayBuffer()).byteLength).toBe(9 * MB);
    const anonymous = await h.get(res.body.url);
    expect(anonymous.status).toBe(401);
    // An unknown id is 404 too.
    const unknown = await h.get(`/v1/attachments/${crypto.randomUUID()}`, {
      headers: student.auth,
    });
    expect(unknown.status).toBe(404);
  });

  it("the type comes from the bytes: a PDF named evil.png is evil.pdf, application/pdf", async (t) => {
    const { h, student, ticket } = await setup(t);
    const res = await send(h, student, ticket.id, pdfOf(2048), "evil.png", "image/png");
    expect(res.status, res.text).toBe(201);
    expect(res.body.fileName).toBe("evil.pdf");
    expect(res.body.contentType).toBe("application/pdf");
    const download = await h.fetch(res.body.url, { headers: student.auth });
    expect(download.headers.get("Content-Type")).toBe("application/pdf");
    expect(download.headers.get("Content-Disposition")).toContain('filename="evil.pdf"');
    await download.arrayBuffer();

    // Plain text is accepted, served as UTF-8 text, still as a download.
    const text = await send(
      h,
      student,
      ticket.id,
      new TextEncoder().encode("order id 42\n"),
      "notes",
    );
    expect(text.status, text.text).toBe(201);
    expect(text.body).toMatchObject({ fileName: "notes.txt", contentType: "text/plain" });
    const dl = await h.fetch(text.body.url, { headers: student.auth });
    expect(dl.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(dl.headers.get("Content-Disposition")).toMatch(/^attachment;/);
    expect(await dl.text()).toBe("order id 42\n");
  });

  it("path traversal and other hostile names are sanitised; the object key never uses them", async (t) => {
    const { h, student, ticket } = await setup(t);
    const cases: [string, string][] = [
      ["../../../etc/passwd.png", "passwd.png"],
      ["..\\..\\Windows\\System32\\evil.png", "evil.png"],
      ["CON.png", "_CON.png"],
      ["inv<oi>ce|1*?.png", "invoice1.png"],
      ["..", "attachment.png"],
    ];
    for (const [name, expected] of cases) {
      const res = await send(h, student, ticket.id, PNG, name, "image/png");
      expect(res.status, `${name}: ${res.text}`).toBe(201);
      expect(res.body.fileName, name).toBe(expected);
      expect(res.body.fileName).not.toMatch(/[/\\]|\.\./);
    }
    const rows = await rowsOf(h, ticket.id);
    expect(rows).toHaveLength(cases.length);
    for (const r of rows) expect(r.objectKey).toBe(`tickets/${ticket.id}/${r.id}`);
    expect(await objectsOf(h, ticket.id)).toEqual(rows.map((r) => r.objectKey).sort());
  });
});

describe("limits and refusals", () => {
  it("exactly 10 MB is accepted; one byte more is 413, and so is a body over the route's limit", async (t) => {
    const { h, student, ticket } = await setup(t);
    const max = await send(h, student, ticket.id, pdfOf(10 * MB), "max.pdf");
    expect(max.status, max.text).toBe(201);
    expect(max.body.sizeBytes).toBe(10 * MB);
    const over = await send(h, student, ticket.id, pdfOf(10 * MB + 1), "over.pdf");
    expect(over.status, over.text).toBe(413);
    expect(over.body.code).toBe("PAYLOAD_TOO_LARGE");
    const huge = await send(h, student, ticket.id, pdfOf(11 * MB), "huge.pdf");
    expect(huge.status, huge.text).toBe(413);
    expect(huge.body.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await rowsOf(h, ticket.id)).toHaveLength(1);
    expect(await objectsOf(h, ticket.id)).toHaveLength(1);
  });

  it("the 6th attachment is 409 ATTACHMENT_LIMIT, and leaves no object behind", async (t) => {
    const { h, student, ticket } = await setup(t);
    for (let i = 0; i < 5; i++) {
      const res = await send(h, student, ticket.id, PNG, `shot-${i}.png`);
      expect(res.status, res.text).toBe(201);
    }
    const sixth = await send(h, student, ticket.id, PNG, "shot-5.png");
    expect(sixth.status, sixth.text).toBe(409);
    expect(sixth.body.code).toBe("ATTACHMENT_LIMIT");
    expect(await rowsOf(h, ticket.id)).toHaveLength(5);
    expect(await objectsOf(h, ticket.id)).toHaveLength(5);
  });

  it("racing uploads past the limit: 5 rows, 5 objects, no orphan in R2", async (t) => {
    const { h, student, ticket } = await setup(t);
    for (let i = 0; i < 3; i++) {
      expect((await send(h, student, ticket.id, PNG, `a${i}.png`)).status).toBe(201);
    }
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => send(h, student, ticket.id, PNG, `race${i}.png`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.code).toBe("ATTACHMENT_LIMIT");
    }
    const rows = await rowsOf(h, ticket.id);
    expect(rows).toHaveLength(5);
    expect(await objectsOf(h, ticket.id)).toEqual(rows.map((r) => r.objectKey).sort());
  });

  it("a closed ticket takes no files (409 TICKET_CLOSED)", async (t) => {
    const { h, student, ticket } = await setup(t);
    const closed = await h.post(`/v1/tickets/${ticket.id}/close`, undefined, {
      headers: { ...student.auth, "Idempotency-Key": crypto.randomUUID() },
    });
    expect(closed.status, closed.text).toBe(200);
    const res = await send(h, student, ticket.id, PNG, "late.png");
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("TICKET_CLOSED");
    const admin = await h.asAdmin();
    const bySupport = await send(h, admin, ticket.id, PNG, "late.png");
    expect(bySupport.status).toBe(409);
    expect(await rowsOf(h, ticket.id)).toHaveLength(0);
    expect(await objectsOf(h, ticket.id)).toEqual([]);
  });

  it("empty file, no `file` field, two files, JSON, anonymous: refused, nothing stored", async (t) => {
    const { h, student, ticket } = await setup(t);
    const empty = await send(h, student, ticket.id, new Uint8Array(0), "empty.png");
    expect(empty.status, empty.text).toBe(400);
    expect(empty.body.code).toBe("VALIDATION_FAILED");

    const noFile = new FormData();
    noFile.append("attachment", new File([PNG], "x.png", { type: "image/png" }));
    const missing = await h.request<Attachment>(
      "POST",
      `/v1/tickets/${ticket.id}/attachments`,
      undefined,
      { headers: student.auth, raw: noFile },
    );
    expect(missing.status, missing.text).toBe(400);

    const asText = new FormData();
    asText.append("file", "not a file");
    const textField = await h.request<Attachment>(
      "POST",
      `/v1/tickets/${ticket.id}/attachments`,
      undefined,
      { headers: student.auth, raw: asText },
    );
    expect(textField.status, textField.text).toBe(400);

    const two = new FormData();
    two.append("file", new File([PNG], "a.png"));
    two.append("file", new File([PNG], "b.png"));
    const both = await h.request<Attachment>(
      "POST",
      `/v1/tickets/${ticket.id}/attachments`,
      undefined,
      { headers: student.auth, raw: two },
    );
    expect(both.status, both.text).toBe(400);

    const json = await h.post<unknown, Attachment>(
      `/v1/tickets/${ticket.id}/attachments`,
      { file: "iVBORw0KGgo=" },
      { headers: student.auth },
    );
    expect(json.status, json.text).toBe(415);
    expect(json.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");

    const form = new FormData();
    form.append("file", new File([PNG], "x.png"));
    const anonymous = await h.request("POST", `/v1/tickets/${ticket.id}/attachments`, undefined, {
      raw: form,
    });
    expect(anonymous.status).toBe(401);

    expect(await rowsOf(h, ticket.id)).toHaveLength(0);
    expect(await objectsOf(h, ticket.id)).toEqual([]);
  });

  it("another student's or an unknown ticket is 404; an admin may attach (as support)", async (t) => {
    const { h, student, ticket } = await setup(t);
    const stranger = await h.asStudent();
    const theirs = await send(h, stranger, ticket.id, PNG, "x.png");
    expect(theirs.status, theirs.text).toBe(404);
    const unknownId = crypto.randomUUID();
    const unknown = await send(h, student, unknownId, PNG, "x.png");
    expect(unknown.status, unknown.text).toBe(404);
    expect(await objectsOf(h, unknownId)).toEqual([]);
    expect(await rowsOf(h, ticket.id)).toHaveLength(0);
    expect(await objectsOf(h, ticket.id)).toEqual([]);

    const admin = await h.asAdmin();
    const bySupport = await send(h, admin, ticket.id, PNG, "steps.png");
    expect(bySupport.status, bySupport.text).toBe(201);
    expect(bySupport.body.uploadedBy).toBe("support");
    // The student downloads what support attached.
    const dl = await h.fetch(bySupport.body.url, { headers: student.auth });
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(PNG);
    const [row] = await rowsOf(h, ticket.id);
    expect(row?.uploadedBy).toBe(admin.id);
  });
});

describe("the upload rate limit", () => {
  it("50 uploads an hour per user, then 429 naming the `upload` policy", async (t) => {
    const { h, student, ticket } = await setup(t);
    const ok = await send(h, student, ticket.id, PNG, "one.png");
    expect(ok.status, ok.text).toBe(201);
    // The route's own policy in the headers, not the general `api` one around it.
    expect(ok.headers.get("RateLimit-Policy")).toMatch(/^"upload";/);

    // Cheap refusals (415, before any parsing) still count.
    let denied: TestResponse<{ code: string; policies: string[] }> | undefined;
    let sent = 1;
    for (; sent < 60 && !denied; sent++) {
      const res = await h.post<unknown, { code: string; policies: string[] }>(
        `/v1/tickets/${ticket.id}/attachments`,
        {},
        { headers: student.auth },
      );
      if (res.status === 429) denied = res;
      else expect(res.status, res.text).toBe(415);
    }
    // The 51st request in the hour is the first refused, by the upload policy.
    expect(denied?.status).toBe(429);
    expect(sent).toBe(51);
    expect(denied?.body.code).toBe("RATE_LIMITED");
    expect(denied?.body.policies).toEqual(["upload"]);
    expect(denied?.headers.get("RateLimit-Policy")).toMatch(/^"upload";/);
    // GCRA at 50 an hour: the next one is due in about 72 s.
    const retry = Number(denied?.headers.get("Retry-After"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(72);
    // A real upload is refused too, and stores nothing; another user is not affected.
    const refused = await send(h, student, ticket.id, PNG, "two.png");
    expect(refused.status).toBe(429);
    expect(await rowsOf(h, ticket.id)).toHaveLength(1);
    expect(await objectsOf(h, ticket.id)).toHaveLength(1);
    const admin = await h.asAdmin();
    const other = await send(h, admin, ticket.id, PNG, "three.png");
    expect(other.status, other.text).toBe(201);
  });
});

describe("when file storage (R2) is down", () => {
  it("an upload is 503 with Retry-After and records nothing; a download is 503", async (t) => {
    const h = await Harness.init(t);
    const student = await h.asStudent();
    const ticket = await openTicket(h, student);
    const stored = await send(h, student, ticket.id, PNG, "before.png");
    expect(stored.status, stored.text).toBe(201);
    // The binding itself failing, as R2 does in an outage (every call rejects).
    const down = () => Promise.reject(new Error("R2 unavailable"));
    const broken = await Harness.init(t, {
      env: { FILES: { put: down, get: down, head: down, delete: down } as unknown as R2Bucket },
    });
    const refused = await send(broken, student, ticket.id, PNG, "during.png");
    expect(refused.status, refused.text).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("5");
    expect(refused.text).not.toContain("R2 unavailable");
    expect(await rowsOf(h, ticket.id)).toHaveLength(1);
    const url = String((stored.body as { url: string }).url);
    const download = await broken.get(url, { headers: student.auth });
    expect(download.status, download.text).toBe(503);
  });
});
