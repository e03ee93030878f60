/**
 * `npm run walk:payments` (with `npm run dev` running in another terminal)
 *
 * Walks a paid enrolment over HTTP against the local API, with the development Instamojo, and
 * prints what each step answered:
 *   1. the demo admin publishes a ₹499 course with a batch; a new student enrols (a held seat);
 *   2. checkout with an Idempotency-Key; the same key again replays the answer; the same key
 *      with another body is 422;
 *   3. Pay on the local checkout page: the page posts a signed webhook and redirects through
 *      /v1/payments/return; the enrolment is active, with an invoice in this year's series;
 *   4. 20 concurrent copies of the signed webhook: one paid transition, one invoice;
 *   5. a webhook with a wrong MAC gets 401 and changes nothing;
 *   6. the admin refunds in full: the enrolment is cancelled and a credit note is issued.
 * Exits 1 at the first step that does not behave as described. Everything it creates is new,
 * so it can run any number of times. Loopback only.
 */

import { createHmac } from "node:crypto";
import { DEMO_PASSWORD } from "./lib/seed.ts";
import {
  base,
  call,
  check,
  devSecret,
  expectStatus,
  login,
  publishedCourseWithBatch,
  requireRunningApi,
} from "./lib/walk.ts";

const run = crypto.randomUUID().slice(0, 8);

/** The form Instamojo posts: its fields plus `mac` (PROVIDERS.md §1), signed as Instamojo does. */
function signInstamojoWebhook(fields: Record<string, string>, salt: string): string {
  const keys = Object.keys(fields).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const mac = createHmac("sha1", salt)
    .update(keys.map((k) => fields[k]).join("|"))
    .digest("hex");
  return new URLSearchParams({ ...fields, mac }).toString();
}

await requireRunningApi("walk:payments");

console.log(`1. A ₹499 course, a batch, and a student holding a seat (run ${run})`);
const admin = await login("admin@demo.in");
const { batchId } = await publishedCourseWithBatch(admin, {
  slug: `walk-pay-${run}`,
  title: `Paid walkthrough ${run}`,
  pricePaise: 49_900,
  batchName: "Weekend batch",
  capacity: 30,
  startsInDays: 7,
  courseNote: "₹499",
});
const batch = { body: { id: batchId } };
const email = `walk-pay-${run}@example.in`;
const signup = expectStatus(
  await call<{ tokens: { accessToken: string } }>("POST", "/v1/auth/signup", {
    body: { email, password: DEMO_PASSWORD, fullName: "Walk Payer" },
  }),
  201,
  `sign up ${email}`,
);
const student = signup.body.tokens.accessToken;
const enrolment = expectStatus(
  await call<{ id: string; status: string }>("POST", "/v1/enrolments", {
    token: student,
    body: { batchId: batch.body.id },
  }),
  201,
  "POST /v1/enrolments",
);
check(enrolment.body.status === "pending_payment", `status ${enrolment.body.status}`);

console.log("2. Checkout with an Idempotency-Key");
const key = crypto.randomUUID();
const checkoutPath = `/v1/enrolments/${enrolment.body.id}/payments`;
const first = expectStatus(
  await call<{ paymentId: string; checkoutUrl: string; amountPaise: number }>(
    "POST",
    checkoutPath,
    { token: student, body: {}, headers: { "Idempotency-Key": key } },
  ),
  201,
  "POST /v1/enrolments/{id}/payments",
);
console.log(`       checkoutUrl ${first.body.checkoutUrl} (₹${first.body.amountPaise / 100})`);
const replay = await call<{ paymentId: string }>("POST", checkoutPath, {
  token: student,
  body: {},
  headers: { "Idempotency-Key": key },
});
check(
  replay.status === 201 &&
    replay.headers.get("Idempotent-Replayed") === "true" &&
    replay.body.paymentId === first.body.paymentId,
  `same key, same body → ${replay.status}, Idempotent-Replayed: ${replay.headers.get("Idempotent-Replayed")}`,
  replay,
);
const reused = await call<{ code: string }>("POST", checkoutPath, {
  token: student,
  body: { billingState: "27" },
  headers: { "Idempotency-Key": key },
});
check(
  reused.status === 422 && reused.body.code === "IDEMPOTENCY_KEY_REUSED",
  `same key, another body → ${reused.status} ${reused.body.code}`,
  reused,
);

console.log("3. Pay on the local checkout page");
const page = await fetch(first.body.checkoutUrl);
const html = await page.text();
check(page.status === 200 && html.includes("Pay"), `GET the checkout page → ${page.status}`);
const paid = await fetch(`${first.body.checkoutUrl}/pay`, {
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: "",
  redirect: "manual",
});
const back = new URL(paid.headers.get("location") ?? "", base);
check(
  paid.status === 303 && back.pathname === "/v1/payments/return",
  `Pay → ${paid.status} to ${back.pathname}?payment_status=${back.searchParams.get("payment_status")}`,
);
const result = await fetch(back, { redirect: "manual" });
const outcome = new URL(result.headers.get("location") ?? "", base);
check(
  result.status === 303 && outcome.searchParams.get("status") === "paid",
  `/v1/payments/return → ${result.status}, status=${outcome.searchParams.get("status")}`,
);
const mine = await call<{ data: { id: string; status: string }[] }>("GET", "/v1/me/enrolments", {
  token: student,
});
const active = mine.body.data.find((e) => e.id === enrolment.body.id);
check(active?.status === "active", `GET /v1/me/enrolments: ${active?.status}`, mine);
const invoices = await call<{ data: { kind: string; number: string; totalPaise: number }[] }>(
  "GET",
  "/v1/me/invoices",
  { token: student },
);
const istNow = new Date(Date.now() + 330 * 60_000);
const fyStart = istNow.getUTCMonth() >= 3 ? istNow.getUTCFullYear() : istNow.getUTCFullYear() - 1;
const series = `${String(fyStart % 100).padStart(2, "0")}-${String((fyStart + 1) % 100).padStart(2, "0")}`;
const invoice = invoices.body.data.find((i) => i.kind === "invoice");
check(
  invoice?.number.includes(`/${series}/`) === true,
  `invoice ${invoice?.number} (series ${series}), ₹${(invoice?.totalPaise ?? 0) / 100}`,
  invoices,
);

console.log("4. 20 concurrent copies of the signed webhook");
const paymentId = back.searchParams.get("payment_id") ?? "";
const requestId = back.searchParams.get("payment_request_id") ?? "";
const fields = {
  amount: "499.00",
  buyer: email,
  buyer_name: "Walk Payer",
  buyer_phone: "",
  currency: "INR",
  fees: "9.98",
  longurl: first.body.checkoutUrl,
  payment_id: paymentId,
  payment_request_id: requestId,
  purpose: "walkthrough",
  shorturl: "",
  status: "Credit",
};
const salt = devSecret("INSTAMOJO_PRIVATE_SALT");
const signed = signInstamojoWebhook(fields, salt);
const webhook = (raw: string) =>
  call<{ outcome: string }>("POST", "/v1/webhooks/instamojo", {
    raw,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
const copies = await Promise.all(Array.from({ length: 20 }, () => webhook(signed)));
check(
  copies.every((c) => c.status === 200),
  `20 × ${[...new Set(copies.map((c) => c.status))].join("/")}, outcomes: ${[...new Set(copies.map((c) => c.body.outcome))].join(", ")}`,
);
type Detail = {
  status: string;
  events: { to: string }[];
  invoices: { kind: string; number: string }[];
};
const detail = await call<Detail>("GET", `/v1/admin/payments/${first.body.paymentId}`, {
  token: admin,
});
const paidEvents = detail.body.events?.filter((e) => e.to === "paid").length;
const invoiceCount = detail.body.invoices?.filter((i) => i.kind === "invoice").length;
check(
  paidEvents === 1 && invoiceCount === 1,
  `GET /v1/admin/payments/{id}: ${paidEvents} paid transition, ${invoiceCount} invoice`,
  detail as never,
);

console.log("5. A webhook with a wrong MAC");
const forged = await webhook(signInstamojoWebhook(fields, `${salt}-wrong`));
check(forged.status === 401, `wrong MAC → ${forged.status}`, forged as never);
const after = await call<Detail>("GET", `/v1/admin/payments/${first.body.paymentId}`, {
  token: admin,
});
check(
  after.body.events.length === detail.body.events.length && after.body.status === "paid",
  `nothing changed: ${after.body.events.length} events, status ${after.body.status}`,
);

console.log("6. The admin refunds in full");
const refund = expectStatus(
  await call<{
    status: string;
    creditNote: { number: string } | null;
    payment: { status: string };
  }>("POST", `/v1/admin/payments/${first.body.paymentId}/refunds`, {
    token: admin,
    body: { type: "QFL", reason: "Walkthrough refund" },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  }),
  201,
  "POST /v1/admin/payments/{id}/refunds",
);
check(
  refund.body.payment.status === "refunded" && refund.body.creditNote !== null,
  `payment ${refund.body.payment.status}, refund ${refund.body.status}, credit note ${refund.body.creditNote?.number}`,
  refund as never,
);
const later = await call<{ data: { id: string; status: string }[] }>("GET", "/v1/me/enrolments", {
  token: student,
});
const cancelled = later.body.data.find((e) => e.id === enrolment.body.id);
check(cancelled?.status === "cancelled", `the enrolment is ${cancelled?.status}`, later);

console.log("\nwalk:payments: every step behaved as described.");
