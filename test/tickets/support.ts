/** Helpers for the support-ticket tests: opening tickets, replies and uploads through the app. */
import { expect } from "vitest";
import type { AdminTicket, StudentTicket } from "../../src/domains/tickets/schemas";
import type { Harness } from "../support/harness";
import type { TestUser } from "../support/identity";

export type { AdminTicket, StudentTicket };

export async function openTicket(
  h: Harness,
  student: TestUser,
  body: Partial<{
    subject: string;
    body: string;
    category: string;
    enrolmentId: string;
    paymentId: string;
  }> = {},
  key: string = crypto.randomUUID(),
) {
  const res = await h.post<unknown, StudentTicket>(
    "/v1/tickets",
    {
      subject: "Recording missing",
      body: "<p>The recording of Sunday's class is missing.</p>",
      category: "recording",
      ...body,
    },
    { headers: { ...student.auth, "Idempotency-Key": key } },
  );
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function adminReply(
  h: Harness,
  admin: TestUser,
  ticketId: string,
  body: { body: string; internal?: boolean; status?: string },
) {
  const res = await h.post<unknown, AdminTicket>(`/v1/admin/tickets/${ticketId}/replies`, body, {
    headers: admin.auth,
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function patchTicket(
  h: Harness,
  admin: TestUser,
  ticketId: string,
  body: { status?: string; priority?: string; assigneeId?: string | null },
) {
  return h.patch<unknown, AdminTicket & { allowedNextStatuses: string[]; currentStatus?: string }>(
    `/v1/admin/tickets/${ticketId}`,
    body,
    { headers: admin.auth },
  );
}

/** A multipart upload of `bytes` as `name` (and a Content-Type the server must ignore). */
export function upload(
  h: Harness,
  user: TestUser,
  ticketId: string,
  bytes: Uint8Array,
  name: string,
  type = "application/octet-stream",
) {
  const form = new FormData();
  form.append("file", new File([bytes], name, { type }));
  return h.request<Record<string, unknown>>(
    "POST",
    `/v1/tickets/${ticketId}/attachments`,
    undefined,
    {
      headers: user.auth,
      raw: form,
    },
  );
}

export const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1,
  0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
]);

/** A PDF of about `size` bytes: a real header, padded with a comment. */
export function pdfOf(size: number): Uint8Array {
  const head = new TextEncoder().encode("%PDF-1.7\n%");
  const tail = new TextEncoder().encode("\n%%EOF\n");
  const out = new Uint8Array(size);
  out.set(head, 0);
  out.fill(0x41, head.length, size - tail.length);
  out.set(tail, size - tail.length);
  return out;
}
