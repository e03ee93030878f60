/**
 * Checkout, the webhook and the return page through the mounted app, with the real Instamojo
 * adapter against the fake Instamojo: exactly-once settlement, the MAC, idempotency, and what
 * a paid payment does in its one transaction.
 */
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../../src/jobs/maintenance";
import { signInstamojoWebhook } from "../../src/providers/instamojo";
import { adminQuery } from "../support/database";
import { lastEmailTo } from "../support/outbox";
import {
  buyerPays,
  checkout,
  count,
  enrolmentStatus,
  fakeState,
  fault,
  PRICE_PAISE,
  paymentRow,
  paymentSetup,
  postWebhook,
  requestIdOf,
  SALT,
} from "../support/payments";

describe("POST /v1/enrolments/{id}/payments", () => {
  it("creates an Instamojo payment request for the held seat and answers its checkout page", async (t) => {
    const s = await paymentSetup(t);
    const res = await checkout(s);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("pending");
    expect(res.body.amountPaise).toBe(PRICE_PAISE);
    expect(res.body.checkoutUrl).toMatch(/^https?:\/\//);
    const requestId = await requestIdOf(s, res.body.paymentId);
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    const sent = (await fakeState(s)).forms.find((f) => f.op === "create_request")?.fields;
    expect(sent).toMatchObject({
      amount: "499.00",
      allow_repeated_payments: "false",
      redirect_url: "http://api.test/v1/payments/return",
      webhook: `http://api.test/v1/webhooks/instamojo?payment=${res.body.paymentId}`,
    });
    expect(sent?.purpose).toContain("JEE Physics");
    expect(sent?.email).toBe(s.student.email);
  });

  it("replays the same key and body, refuses the key with another body, and requires a key", async (t) => {
    const s = await paymentSetup(t);
    const key = crypto.randomUUID();
    const first = await checkout(s, key);
    const again = await checkout(s, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await checkout(s, key, { billingState: "27" });
    expect(other.status).toBe(422);
    expect((other.body as unknown as { code: string }).code).toBe("IDEMPOTENCY_KEY_REUSED");
    const none = await s.h.post(
      `/v1/enrolments/${s.enrolmentId}/payments`,
      {},
      {
        headers: s.student.auth,
      },
    );
    expect(none.status).toBe(400);
    expect((none.body as { code: string }).code).toBe("IDEMPOTENCY_KEY_MISSING");
    // A new key reuses the open checkout: one payment request at Instamojo, one row here.
    const reused = await checkout(s);
    expect(reused.status).toBe(200);
    expect(reused.body.paymentId).toBe(first.body.paymentId);
    expect((await fakeState(s)).calls.create_request).toBe(1);
    expect(await count(s, "SELECT count(*) AS n FROM {payments}")).toBe(1);
  });

  it("is the student's own: another student's enrolment is 404, an admin is 403, bad input 400", async (t) => {
    const s = await paymentSetup(t);
    const other = await s.h.asStudent();
    expect((await checkout(s, undefined, {}, other)).status).toBe(404);
    expect((await checkout(s, undefined, {}, s.admin)).status).toBe(403);
    expect((await checkout(s, undefined, { billingState: "99" })).status).toBe(400);
    expect((await checkout(s, undefined, { extra: 1 })).status).toBe(400);
    const bad = await s.h.post(
      "/v1/enrolments/not-a-uuid/payments",
      {},
      {
        headers: { ...s.student.auth, "Idempotency-Key": "k1" },
      },
    );
    expect(bad.status).toBe(400);
  });

  it("refuses an enrolment that is not waiting for payment (409)", async (t) => {
    const s = await paymentSetup(t);
    await adminQuery(
      "UPDATE enrolments SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
      [s.enrolmentId],
      s.h.database,
    );
    const res = await checkout(s);
    expect(res.status).toBe(409);
    expect(await count(s, "SELECT count(*) AS n FROM {payments}")).toBe(0);
  });

  it("answers 502 when Instamojo fails, and starts clean after a refusal", async (t) => {
    const s = await paymentSetup(t);
    await fault(s, "create_request", "success_false");
    const refused = await checkout(s);
    expect(refused.status).toBe(502);
    expect((refused.body as unknown as { code: string }).code).toBe("EXTERNAL_SERVICE_ERROR");
    expect(refused.text).not.toContain("test-secret");
    expect(await count(s, "SELECT count(*) AS n FROM {payments} WHERE status = 'failed'")).toBe(1);
    // A 5xx may have created the request: the row stays `created`, and a retry right away is
    // told to wait rather than risk a second request.
    await fault(s, "create_request", "server_error");
    const down = await checkout(s);
    expect(down.status).toBe(502);
    expect(await count(s, "SELECT count(*) AS n FROM {payments} WHERE status = 'created'")).toBe(1);
    const busy = await checkout(s);
    expect(busy.status).toBe(409);
    // Once the grace has passed, the unknown one is abandoned and a new checkout starts.
    // (created_at is immutable to every role: the test steps around the guard to age it.)
    await adminQuery("ALTER TABLE payments DISABLE TRIGGER payments_guard", [], s.h.database);
    await adminQuery(
      "UPDATE payments SET created_at = now() - interval '2 minutes' WHERE status = 'created' AND enrolment_id = $1",
      [s.enrolmentId],
      s.h.database,
    );
    await adminQuery("ALTER TABLE payments ENABLE TRIGGER payments_guard", [], s.h.database);
    const fresh = await checkout(s);
    expect(fresh.status).toBe(201);
    expect(await count(s, "SELECT count(*) AS n FROM {payments} WHERE status = 'pending'")).toBe(1);
  });
});

describe("POST /v1/webhooks/instamojo", () => {
  it("a signed Credit makes the payment paid, the enrolment active, issues the invoice and the receipt", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    const res = await postWebhook(s, paid.webhook, `?payment=${body.paymentId}`);
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("active");
    const row = await paymentRow(s, body.paymentId);
    expect(row?.status).toBe("paid");
    expect(row?.provider_payment_id).toBe(paid.payment.id);
    expect(row?.receipt_sent_at).not.toBeNull();
    const [invoice] = await adminQuery<{ number: string; total_paise: number }>(
      "SELECT number, total_paise FROM invoices WHERE payment_id = $1 AND kind = 'invoice'",
      [body.paymentId],
      s.h.database,
    );
    expect(invoice?.number).toMatch(/^INV\/\d{2}-\d{2}\/000001$/);
    expect(invoice?.total_paise).toBe(PRICE_PAISE);
    const events = await adminQuery<{
      from_status: string | null;
      to_status: string;
      cause: string;
    }>(
      "SELECT from_status, to_status, cause FROM payment_events WHERE payment_id = $1 ORDER BY id",
      [body.paymentId],
      s.h.database,
    );
    expect(events.map((e) => `${e.from_status}->${e.to_status}:${e.cause}`)).toEqual([
      "null->created:checkout",
      "created->pending:checkout",
      "pending->paid:webhook",
    ]);
    // The receipt was written by the settlement's transaction: there before any delivery,
    // and a redelivered webhook adds none.
    const receipts = `SELECT count(*) AS n FROM notifications WHERE dedupe_key = 'receipt:${body.paymentId}' AND to_address = {email} AND template = 'payment_receipt'`;
    expect(await count(s, receipts)).toBe(1);
    const again = await postWebhook(s, paid.webhook, `?payment=${body.paymentId}`);
    expect(again.body.outcome).toBe("duplicate");
    expect(await count(s, receipts)).toBe(1);
    const mail = await lastEmailTo(s.h, s.student.email);
    expect(mail).toMatchObject({ template: "payment_receipt", status: "sent" });
    expect(mail?.subject).toBe(`Payment received: ${invoice?.number}`);
    expect(mail?.text).toContain("Your seat is confirmed.");
    expect(mail?.link).toMatch(/\/v1\/invoices\/[0-9a-f-]+\.pdf$/);
    // The student sees the invoice; the PDF is theirs alone (and an admin's).
    const list = await s.h.get<{ data: { number: string; pdfUrl: string }[] }>("/v1/me/invoices", {
      headers: s.student.auth,
    });
    expect(list.body.data.map((i) => i.number)).toEqual([invoice?.number]);
    const pdfUrl = list.body.data[0]?.pdfUrl ?? "";
    const pdf = await s.h.fetch(pdfUrl, { headers: s.student.auth });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode((await pdf.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
    const stranger = await s.h.asStudent();
    expect((await s.h.fetch(pdfUrl, { headers: stranger.auth })).status).toBe(404);
    expect((await s.h.fetch(pdfUrl, { headers: s.admin.auth })).status).toBe(200);
    expect((await s.h.fetch(pdfUrl)).status).toBe(401);
    expect((await s.h.fetch("/v1/invoices/nope.pdf", { headers: s.student.auth })).status).toBe(
      400,
    );
  });

  it("20 concurrent copies of the webhook give one paid transition and one invoice", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => postWebhook(s, paid.webhook, `?payment=${body.paymentId}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const outcomes = answers.map((a) => a.body.outcome);
    expect(outcomes.filter((o) => o === "paid")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "paid").every((o) => o === "duplicate")).toBe(true);
    expect(
      await count(
        s,
        "SELECT count(*) AS n FROM payment_events WHERE {mine} AND to_status = 'paid'",
      ),
    ).toBe(1);
    expect(await count(s, "SELECT count(*) AS n FROM invoices WHERE {mine}")).toBe(1);
    expect(
      await count(
        s,
        "SELECT count(*) AS n FROM audit_logs WHERE entity_id = $1 AND action = 'enrolment.activate'",
      ),
    ).toBe(1);
  });

  it("a wrong, missing or stale MAC is 401 and changes nothing", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    const eventsBefore = await count(s, "SELECT count(*) AS n FROM payment_events WHERE {mine}");
    const forged = { ...paid.webhook, mac: "0".repeat(40) };
    const tampered = { ...paid.webhook, amount: "1.00" };
    const { mac: _mac, ...unsigned } = paid.webhook;
    const otherSalt = await buyerPays(s, await requestIdOf(s, body.paymentId), "paid", "wrong");
    for (const fields of [forged, tampered, unsigned, otherSalt.webhook]) {
      const res = await postWebhook(s, fields);
      expect(res.status).toBe(401);
    }
    expect((await paymentRow(s, body.paymentId))?.status).toBe("pending");
    expect(await count(s, "SELECT count(*) AS n FROM payment_events WHERE {mine}")).toBe(
      eventsBefore,
    );
    expect(await enrolmentStatus(s)).toBe("pending_payment");
  });

  it("a failed payment fails the checkout and leaves the seat held", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const failed = await buyerPays(s, await requestIdOf(s, body.paymentId), "failed");
    const res = await postWebhook(s, failed.webhook);
    expect(res.body.outcome).toBe("failed");
    expect((await paymentRow(s, body.paymentId))?.status).toBe("failed");
    expect(await enrolmentStatus(s)).toBe("pending_payment");
    // A new checkout can start for the same seat.
    expect((await checkout(s)).status).toBe(201);
  });

  it("an amount that does not match the checkout is flagged and activates nothing", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const paid = await buyerPays(s, requestId);
    // Our record says ₹1 more than Instamojo's request (as if the request had been altered).
    await adminQuery("ALTER TABLE payments DISABLE TRIGGER payments_guard", [], s.h.database);
    await adminQuery(
      "UPDATE payments SET amount_paise = amount_paise + 100 WHERE id = $1",
      [body.paymentId],
      s.h.database,
    );
    await adminQuery("ALTER TABLE payments ENABLE TRIGGER payments_guard", [], s.h.database);
    const res = await postWebhook(s, paid.webhook);
    expect(res.body.outcome).toBe("flagged");
    const row = await paymentRow(s, body.paymentId);
    expect(row?.status).toBe("pending");
    expect(row?.review_reason).toBe("amount_mismatch");
    expect(await enrolmentStatus(s)).toBe("pending_payment");
    expect(await count(s, "SELECT count(*) AS n FROM invoices WHERE {mine}")).toBe(0);
  });

  it("a payment after the hold expired activates while a seat is free", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    await adminQuery(
      "UPDATE enrolments SET status = 'expired', hold_expires_at = NULL WHERE id = $1",
      [s.enrolmentId],
      s.h.database,
    );
    expect((await postWebhook(s, paid.webhook)).body.outcome).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("active");
  });

  it("a payment after the hold expired, with the batch full, is refunded automatically and the student told", async (t) => {
    const s = await paymentSetup(t, { capacity: 1 });
    const { body } = await checkout(s);
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    await adminQuery(
      "UPDATE enrolments SET status = 'expired', hold_expires_at = NULL WHERE id = $1",
      [s.enrolmentId],
      s.h.database,
    );
    const other = await s.h.asStudent();
    await adminQuery(
      `INSERT INTO enrolments (user_id, batch_id, status, price_paise, activated_at)
       VALUES ($1, $2, 'active', $3, now())`,
      [other.id, s.batch.id, PRICE_PAISE],
      s.h.database,
    );
    expect((await postWebhook(s, paid.webhook)).body.outcome).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("expired");
    const row = await paymentRow(s, body.paymentId);
    expect(row?.status).toBe("refunded");
    expect(row?.refunded_paise).toBe(PRICE_PAISE);
    const kinds = await adminQuery<{ kind: string }>(
      "SELECT kind FROM invoices WHERE payment_id = $1",
      [body.paymentId],
      s.h.database,
    );
    expect(kinds.map((k) => k.kind).sort()).toEqual(["credit_note", "invoice"]);
    const [notice] = await adminQuery<{
      template: string;
      dedupe_key: string;
      variables: Record<string, unknown>;
    }>(
      `SELECT n.template, n.dedupe_key, n.variables FROM notifications n
         JOIN refunds r ON n.dedupe_key = 'refund:' || r.id WHERE r.payment_id = $1`,
      [body.paymentId],
      s.h.database,
    );
    expect(notice).toMatchObject({
      template: "refund",
      variables: { status: "initiated", automatic: true, amountPaise: PRICE_PAISE },
    });
    expect(
      await count(s, "SELECT count(*) AS n FROM refunds WHERE {mine} AND notified_at IS NOT NULL"),
    ).toBe(1);
    expect(
      await count(
        s,
        "SELECT count(*) AS n FROM notifications WHERE to_address = {email} AND template = 'payment_receipt'",
      ),
    ).toBe(0);
    expect(row?.receipt_sent_at).not.toBeNull();
    const told = await lastEmailTo(s.h, s.student.email);
    expect(told?.subject).toBe("Your payment is being refunded");
    expect(told?.text).toContain("Paid after the seat hold expired; the batch is full");

    // A refund accepted before notices went through the outbox: the job queues its notice and
    // stamps notified_at in one transaction, once.
    await adminQuery(
      "DELETE FROM notifications WHERE dedupe_key = $1",
      [notice?.dedupe_key],
      s.h.database,
    );
    await adminQuery(
      "UPDATE refunds SET notified_at = NULL WHERE payment_id = $1",
      [body.paymentId],
      s.h.database,
    );
    await runMaintenance(s.h.env);
    await runMaintenance(s.h.env);
    expect(
      await count(s, "SELECT count(*) AS n FROM refunds WHERE {mine} AND notified_at IS NOT NULL"),
    ).toBe(1);
    expect(
      await count(
        s,
        `SELECT count(*) AS n FROM notifications WHERE dedupe_key = '${notice?.dedupe_key}' AND to_address = {email}`,
      ),
    ).toBe(1);
    const refunds = (await fakeState(s)).forms.filter((f) => f.op === "create_refund");
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.fields.transaction_id).toBe(`auto-${body.paymentId}`);
  });

  it("acknowledges a signed notice of a payment Instamojo does not know, changing nothing", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const form = await signInstamojoWebhook(
      { payment_id: "MOJO0000000000000", payment_request_id: requestId, status: "Credit" },
      SALT,
    );
    const res = await postWebhook(s, Object.fromEntries(new URLSearchParams(form)));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("unknown");
    expect((await paymentRow(s, body.paymentId))?.status).toBe("pending");
  });

  it("answers 400 for a signed form without the payment's ids", async (t) => {
    const s = await paymentSetup(t);
    const form = await signInstamojoWebhook({ status: "Credit" }, SALT);
    const res = await postWebhook(s, Object.fromEntries(new URLSearchParams(form)));
    expect(res.status).toBe(400);
  });
});

describe("GET /v1/payments/return", () => {
  it("confirms with Instamojo whatever the query says, then redirects with the outcome", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const failed = await buyerPays(s, requestId, "failed");
    // The query claims Credit; Instamojo says failed.
    const lying = await s.h.fetch(
      `/v1/payments/return?payment_id=${failed.payment.id}&payment_status=Credit&payment_request_id=${requestId}`,
      { redirect: "manual" },
    );
    expect(lying.status).toBe(303);
    const location = new URL(lying.headers.get("location") ?? "");
    expect(location.searchParams.get("status")).toBe("failed");
    expect(await enrolmentStatus(s)).toBe("pending_payment");

    const again = await checkout(s);
    const request2 = await requestIdOf(s, again.body.paymentId);
    const paid = await buyerPays(s, request2);
    const ok = await s.h.fetch(
      `/v1/payments/return?payment_id=${paid.payment.id}&payment_status=Credit&payment_request_id=${request2}`,
      { redirect: "manual" },
    );
    const to = new URL(ok.headers.get("location") ?? "");
    expect(to.searchParams.get("status")).toBe("paid");
    expect(to.searchParams.get("enrolmentId")).toBe(s.enrolmentId);
    expect(await enrolmentStatus(s)).toBe("active");

    const unknown = await s.h.fetch(
      `/v1/payments/return?payment_id=MOJO0000000000&payment_status=Credit&payment_request_id=${"a".repeat(32)}`,
      { redirect: "manual" },
    );
    expect(new URL(unknown.headers.get("location") ?? "").searchParams.get("status")).toBe(
      "unknown",
    );
    const malformed = await s.h.fetch("/v1/payments/return?payment_request_id=<script>", {
      redirect: "manual",
    });
    expect(malformed.status).toBe(400);
  });

  it("asks Instamojo only about open checkouts of ours", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const paid = await buyerPays(s, requestId);
    expect((await postWebhook(s, paid.webhook)).body.outcome).toBe("paid");
    const asked = (await fakeState(s)).calls.get_payment ?? 0;
    // Settled: answered from the database, whatever payment id the query names.
    const settled = await s.h.fetch(
      `/v1/payments/return?payment_id=MOJO1234567890&payment_status=Failed&payment_request_id=${requestId}`,
      { redirect: "manual" },
    );
    expect(new URL(settled.headers.get("location") ?? "").searchParams.get("status")).toBe("paid");
    // Not ours: unknown, and Instamojo is not asked.
    const foreign = await s.h.fetch(
      `/v1/payments/return?payment_id=MOJO1234567890&payment_status=Credit&payment_request_id=${"b".repeat(32)}`,
      { redirect: "manual" },
    );
    expect(new URL(foreign.headers.get("location") ?? "").searchParams.get("status")).toBe(
      "unknown",
    );
    expect((await fakeState(s)).calls.get_payment ?? 0).toBe(asked);
  });

  it("sends the student on as pending when Instamojo cannot be reached", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const paid = await buyerPays(s, requestId);
    await fault(s, "get_payment", "server_error", { times: 3 });
    const res = await s.h.fetch(
      `/v1/payments/return?payment_id=${paid.payment.id}&payment_status=Credit&payment_request_id=${requestId}`,
      { redirect: "manual" },
    );
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("status")).toBe("pending");
    expect((await paymentRow(s, body.paymentId))?.status).toBe("pending");
  });
});
