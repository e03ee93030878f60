/**
 * Payments through the mounted app with the real Instamojo adapter pointed at the fake
 * Instamojo (test/support/node/fake-instamojo.ts), one fresh client id per setup so nothing is
 * shared with other tests; a published paid course, an open batch and a student holding a seat.
 */
import type { TestContext } from "vitest";
import type { CheckoutView } from "../../src/domains/payments/schemas";
import { insertBatch, insertCourse } from "./catalogue";
import { adminQuery } from "./database";
import { Harness } from "./harness";
import type { TestUser } from "./identity";

export const SALT = "test-instamojo-private-salt";
export const PRICE_PAISE = 49_900;

export interface PaymentSetup {
  h: Harness;
  client: string;
  fake: string;
  student: TestUser;
  admin: TestUser;
  course: { id: string; slug: string };
  batch: { id: string };
  enrolmentId: string;
}

let n = 0;

export async function paymentSetup(
  t: TestContext,
  opts: { capacity?: number; pricePaise?: number; env?: Record<string, string> } = {},
): Promise<PaymentSetup> {
  const client = `pay-${Date.now().toString(36)}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  const h0 = await Harness.init(t);
  const fake = h0.env.TEST_FAKE_INSTAMOJO_URL;
  const h = await Harness.init(t, {
    env: {
      PAYMENTS_PROVIDER: "instamojo",
      INSTAMOJO_CLIENT_ID: client,
      INSTAMOJO_CLIENT_SECRET: "test-secret",
      INSTAMOJO_BASE_URL: `${fake}/`,
      INSTAMOJO_PRIVATE_SALT: SALT,
      ...opts.env,
    },
  });
  const course = await insertCourse(h.database, {
    title: "JEE Physics",
    pricePaise: opts.pricePaise ?? PRICE_PAISE,
  });
  const batch = await insertBatch(h.database, course.id, {
    name: "Morning",
    capacity: opts.capacity ?? 40,
  });
  const student = await h.asStudent();
  const admin = await h.asAdmin();
  const enrolled = await h.post<unknown, { id: string; status: string }>(
    "/v1/enrolments",
    { batchId: batch.id },
    { headers: student.auth },
  );
  if (enrolled.status !== 201 || enrolled.body.status !== "pending_payment") {
    throw new Error(`enrol: ${enrolled.status} ${enrolled.text}`);
  }
  return { h, client, fake, student, admin, course, batch, enrolmentId: enrolled.body.id };
}

export async function checkout(
  s: PaymentSetup,
  key: string = crypto.randomUUID(),
  body: Record<string, unknown> = {},
  user: TestUser = s.student,
) {
  return s.h.post<unknown, CheckoutView>(`/v1/enrolments/${s.enrolmentId}/payments`, body, {
    headers: { ...user.auth, "Idempotency-Key": key },
  });
}

/** The Instamojo request id behind our payment. */
export async function requestIdOf(s: PaymentSetup, paymentId: string): Promise<string> {
  const [row] = await adminQuery<{ id: string }>(
    "SELECT provider_request_id AS id FROM payments WHERE id = $1",
    [paymentId],
    s.h.database,
  );
  if (!row?.id) throw new Error("payment has no request id");
  return row.id;
}

export interface Paid {
  payment: { id: string; status: boolean | null };
  /** The webhook form Instamojo would post, `mac` included. */
  webhook: Record<string, string>;
}

/** The buyer pays (or fails) on Instamojo's page: the fake's control, signed with `salt`. */
export async function buyerPays(
  s: PaymentSetup,
  requestId: string,
  outcome: "paid" | "failed" | "initiated" = "paid",
  salt = SALT,
): Promise<Paid> {
  const res = await fetch(`${s.fake}/__control/clients/${s.client}/requests/${requestId}/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ outcome, salt }),
  });
  if (!res.ok) throw new Error(`fake pay: ${res.status} ${await res.text()}`);
  return (await res.json()) as Paid;
}

export async function fault(
  s: PaymentSetup,
  op: string,
  mode: string,
  extra: Record<string, unknown> = {},
) {
  const res = await fetch(`${s.fake}/__control/clients/${s.client}/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ op, mode, ...extra }),
  });
  if (!res.ok) throw new Error(`fake fault: ${res.status}`);
}

export async function fakeState(s: PaymentSetup) {
  const res = await fetch(`${s.fake}/__control/clients/${s.client}`);
  return (await res.json()) as {
    calls: Record<string, number>;
    refunds: unknown;
    forms: { op: string; fields: Record<string, string> }[];
  };
}

/** Posts a webhook form to the app as Instamojo would (`query`: e.g. `?payment=<id>`). */
export function postWebhook(s: PaymentSetup, fields: Record<string, string>, query = "") {
  return s.h.request<{ outcome: string }>("POST", `/v1/webhooks/instamojo${query}`, undefined, {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    raw: new URLSearchParams(fields).toString(),
  });
}

export async function paymentRow(s: PaymentSetup, id: string) {
  const [row] = await adminQuery<{
    status: string;
    refunded_paise: number;
    review_reason: string | null;
    provider_payment_id: string | null;
    receipt_sent_at: Date | null;
  }>("SELECT * FROM payments WHERE id = $1", [id], s.h.database);
  return row;
}

export async function enrolmentStatus(s: PaymentSetup): Promise<string | undefined> {
  const [row] = await adminQuery<{ status: string }>(
    "SELECT status FROM enrolments WHERE id = $1",
    [s.enrolmentId],
    s.h.database,
  );
  return row?.status;
}

/**
 * A count scoped to this setup's enrolment, which every query gets as `$1` (tests in one file
 * share a database). Shorthands: `{payments}`, `{mine}` (rows whose payment_id is one of this
 * enrolment's payments), `{email}` (the student's address).
 */
export async function count(s: PaymentSetup, sql: string) {
  const expanded = sql
    .replaceAll("{payments}", "(SELECT * FROM payments WHERE enrolment_id = $1) p")
    .replaceAll("{mine}", "payment_id IN (SELECT id FROM payments WHERE enrolment_id = $1)")
    .replaceAll(
      "{email}",
      "(SELECT u.email FROM users u JOIN enrolments e ON e.user_id = u.id WHERE e.id = $1)",
    );
  const [row] = await adminQuery<{ n: number }>(expanded, [s.enrolmentId], s.h.database);
  return Number(row?.n ?? 0);
}
