/**
 * Refunds through the mounted app (admins, and a student cancelling before the batch starts),
 * and the scheduled reconciliation, with the real adapter against the fake Instamojo.
 */
import { describe, expect, it } from "vitest";
import type { RefundView } from "../../src/domains/payments/schemas";
import { runMaintenance } from "../../src/jobs/maintenance";
import { adminQuery } from "../support/database";
import { lastEmailTo } from "../support/outbox";
import {
  buyerPays,
  checkout,
  count,
  enrolmentStatus,
  fakeState,
  fault,
  type PaymentSetup,
  PRICE_PAISE,
  paymentRow,
  paymentSetup,
  postWebhook,
  requestIdOf,
} from "../support/payments";

async function paidSetup(t: Parameters<typeof paymentSetup>[0]) {
  const s = await paymentSetup(t);
  const { body } = await checkout(s);
  const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
  const res = await postWebhook(s, paid.webhook);
  if (res.body.outcome !== "paid") throw new Error(`not paid: ${res.text}`);
  return { s, paymentId: body.paymentId };
}

function refund(
  s: PaymentSetup,
  paymentId: string,
  body: Record<string, unknown>,
  key: string | null = crypto.randomUUID(),
  user = s.admin,
) {
  return s.h.post<unknown, RefundView>(`/v1/admin/payments/${paymentId}/refunds`, body, {
    headers: { ...user.auth, ...(key ? { "Idempotency-Key": key } : {}) },
  });
}

describe("POST /v1/admin/payments/{id}/refunds", () => {
  it("a full refund cancels the enrolment and issues a credit note; the same key replays it", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    const key = crypto.randomUUID();
    const res = await refund(s, paymentId, { type: "QFL", reason: "Changed their mind" }, key);
    expect(res.status).toBe(201);
    expect(res.body.amountPaise).toBe(PRICE_PAISE);
    expect(res.body.payment).toEqual({ status: "refunded", refundedPaise: PRICE_PAISE });
    expect(res.body.creditNote?.number).toMatch(/^CN\/\d{2}-\d{2}\/000001$/);
    expect(await enrolmentStatus(s)).toBe("cancelled");
    const again = await refund(s, paymentId, { type: "QFL", reason: "Changed their mind" }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(res.body);
    const sent = (await fakeState(s)).forms.filter((f) => f.op === "create_refund");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.fields).toMatchObject({ type: "QFL", refund_amount: "499.00" });
    expect(sent[0]?.fields.transaction_id).toMatch(/^adm-[0-9a-f]{40}$/);
    const [note] = await adminQuery<{ total: number; cgst: number; sgst: number; taxable: number }>(
      `SELECT total_paise AS total, cgst_paise AS cgst, sgst_paise AS sgst, taxable_paise AS taxable
         FROM invoices WHERE kind = 'credit_note' AND payment_id = $1`,
      [paymentId],
      s.h.database,
    );
    const [inv] = await adminQuery<{ total: number; cgst: number; sgst: number; taxable: number }>(
      `SELECT total_paise AS total, cgst_paise AS cgst, sgst_paise AS sgst, taxable_paise AS taxable
         FROM invoices WHERE kind = 'invoice' AND payment_id = $1`,
      [paymentId],
      s.h.database,
    );
    expect(note).toEqual(inv);
    // Nothing left: a further refund is refused.
    const more = await refund(s, paymentId, { type: "QFL", reason: "again" });
    expect(more.status).toBe(409);
  });

  it("partial refunds add up to the payment, never beyond, each with its credit note", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    const first = await refund(s, paymentId, { amountPaise: 10_001, type: "PTH", reason: "Part" });
    expect(first.status).toBe(201);
    expect(first.body.payment).toEqual({ status: "partially_refunded", refundedPaise: 10_001 });
    expect(await enrolmentStatus(s)).toBe("active");
    const over = await refund(s, paymentId, {
      amountPaise: PRICE_PAISE - 10_000,
      type: "PTH",
      reason: "Too much",
    });
    expect(over.status).toBe(400);
    expect((over.body as unknown as { refundablePaise: number }).refundablePaise).toBe(
      PRICE_PAISE - 10_001,
    );
    const rest = await refund(s, paymentId, { type: "PTH", reason: "The rest" });
    expect(rest.status).toBe(201);
    expect(rest.body.payment).toEqual({ status: "refunded", refundedPaise: PRICE_PAISE });
    const sums = await adminQuery<{ kind: string; total: number; tax: number }>(
      `SELECT kind, sum(total_paise)::int AS total, sum(cgst_paise + sgst_paise + igst_paise)::int AS tax
         FROM invoices WHERE payment_id = $1 GROUP BY kind ORDER BY kind`,
      [paymentId],
      s.h.database,
    );
    const byKind = Object.fromEntries(sums.map((r) => [r.kind, r]));
    expect(byKind.credit_note?.total).toBe(byKind.invoice?.total);
    expect(byKind.credit_note?.tax).toBe(byKind.invoice?.tax);
    expect(await enrolmentStatus(s)).toBe("cancelled");
  });

  it("requires a key, an admin, a paid payment and a valid body", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    const ok = { type: "QFL", reason: "ok reason" };
    expect((await refund(s, paymentId, ok, null)).status).toBe(400);
    expect((await refund(s, paymentId, ok, undefined, s.student)).status).toBe(403);
    expect((await refund(s, paymentId, { type: "NOPE", reason: "x y z" })).status).toBe(400);
    expect((await refund(s, paymentId, { ...ok, amountPaise: 0 })).status).toBe(400);
    expect((await refund(s, paymentId, { ...ok, amountPaise: 1.5 })).status).toBe(400);
    expect((await refund(s, crypto.randomUUID(), ok)).status).toBe(404);
    expect((await s.h.post(`/v1/admin/payments/${paymentId}/refunds`, ok)).status).toBe(401);
    // An unpaid checkout has nothing to refund.
    const s2 = await paymentSetup(t);
    const open = await checkout(s2);
    expect((await refund(s2, open.body.paymentId, ok)).status).toBe(409);
  });

  it("when Instamojo is down: 502, the refund stays requested, and the job sends it once", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    await fault(s, "create_refund", "server_error", { times: 2 });
    const key = crypto.randomUUID();
    const down = await refund(s, paymentId, { type: "QFL", reason: "Outage" }, key);
    expect(down.status).toBe(502);
    expect(
      await count(s, "SELECT count(*) AS n FROM refunds WHERE {mine} AND status = 'requested'"),
    ).toBe(1);
    expect((await paymentRow(s, paymentId))?.status).toBe("paid");
    await adminQuery(
      "UPDATE refunds SET updated_at = now() - interval '5 minutes' WHERE payment_id = $1",
      [paymentId],
      s.h.database,
    );
    const report = await runMaintenance(s.h.env);
    expect(report.payments?.refundsSent).toBe(1);
    expect((await paymentRow(s, paymentId))?.status).toBe("refunded");
    // The admin's retry with the same key gets the outcome, and Instamojo saw one refund.
    const retry = await refund(s, paymentId, { type: "QFL", reason: "Outage" }, key);
    expect(retry.status).toBe(201);
    expect(retry.body.payment.status).toBe("refunded");
    const state = await fakeState(s);
    const ids = new Set(
      state.forms.filter((f) => f.op === "create_refund").map((f) => f.fields.transaction_id),
    );
    expect(ids.size).toBe(1);
    expect(
      await count(s, "SELECT count(*) AS n FROM invoices WHERE {mine} AND kind = 'credit_note'"),
    ).toBe(1);
  });
});

describe("POST /v1/enrolments/{id}/cancel with a paid seat", () => {
  it("refunds the payment in full through Instamojo and issues a credit note", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    const res = await s.h.post<
      unknown,
      { status: string; refund: { status: string; amountPaise: number } }
    >(`/v1/enrolments/${s.enrolmentId}/cancel`, undefined, { headers: s.student.auth });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("cancelled");
    expect(res.body.refund.amountPaise).toBe(PRICE_PAISE);
    expect(["pending", "refunded"]).toContain(res.body.refund.status);
    expect((await paymentRow(s, paymentId))?.status).toBe("refunded");
    expect(
      await count(s, "SELECT count(*) AS n FROM invoices WHERE {mine} AND kind = 'credit_note'"),
    ).toBe(1);
    const sent = (await fakeState(s)).forms.filter((f) => f.op === "create_refund");
    expect(sent[0]?.fields.transaction_id).toBe(`cancel-${paymentId}`);
  });

  it("closes an open checkout: a payment still made on it is refunded automatically", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const res = await s.h.post<unknown, { refund: unknown }>(
      `/v1/enrolments/${s.enrolmentId}/cancel`,
      undefined,
      { headers: s.student.auth },
    );
    expect(res.status).toBe(200);
    expect(res.body.refund).toBeNull();
    expect((await paymentRow(s, body.paymentId))?.status).toBe("expired");
    const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
    expect((await postWebhook(s, paid.webhook)).body.outcome).toBe("paid");
    expect((await paymentRow(s, body.paymentId))?.status).toBe("refunded");
    expect(await enrolmentStatus(s)).toBe("cancelled");
  });
});

describe("two payments for one seat", () => {
  it("the later one is refunded automatically and the seat stays with the student", async (t) => {
    const s = await paymentSetup(t);
    const a = await checkout(s);
    const requestA = await requestIdOf(s, a.body.paymentId);
    const failed = await buyerPays(s, requestA, "failed");
    expect((await postWebhook(s, failed.webhook)).body.outcome).toBe("failed");
    const b = await checkout(s);
    const paidB = await buyerPays(s, await requestIdOf(s, b.body.paymentId));
    expect((await postWebhook(s, paidB.webhook)).body.outcome).toBe("paid");
    // The student pays on the first page too (it still takes payments).
    const paidA = await buyerPays(s, requestA);
    expect((await postWebhook(s, paidA.webhook)).body.outcome).toBe("paid");
    expect((await paymentRow(s, a.body.paymentId))?.status).toBe("refunded");
    expect((await paymentRow(s, b.body.paymentId))?.status).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("active");
  });
});

describe("a cancellation racing the payment's webhook", () => {
  it("never deadlocks: both answer, and the money ends refunded with the seat given back", async (t) => {
    for (let i = 0; i < 3; i++) {
      const s = await paymentSetup(t);
      const { body } = await checkout(s);
      const paid = await buyerPays(s, await requestIdOf(s, body.paymentId));
      const [cancel, webhook] = await Promise.all([
        s.h.post(`/v1/enrolments/${s.enrolmentId}/cancel`, undefined, { headers: s.student.auth }),
        postWebhook(s, paid.webhook),
      ]);
      expect([cancel.status, webhook.status]).toEqual([200, 200]);
      expect(await enrolmentStatus(s)).toBe("cancelled");
      expect((await paymentRow(s, body.paymentId))?.status).toBe("refunded");
    }
  });
});

describe("the scheduled reconciliation", () => {
  it("settles a payment whose webhook never came, and expires a checkout nobody paid", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    await buyerPays(s, await requestIdOf(s, body.paymentId));
    const s2 = await paymentSetup(t);
    const unpaid = await checkout(s2);
    // Both have been open for longer than the job's 10 minutes; the second is past its expiry.
    await adminQuery(
      "UPDATE payments SET updated_at = now() - interval '11 minutes' WHERE id = $1",
      [body.paymentId],
      s.h.database,
    );
    await adminQuery(
      `UPDATE payments SET updated_at = now() - interval '11 minutes',
                           expires_at = now() - interval '20 minutes' WHERE id = $1`,
      [unpaid.body.paymentId],
      s2.h.database,
    );
    const report = await runMaintenance(s.h.env);
    expect(report.payments?.settled).toBe(1);
    expect(report.payments?.expired).toBe(1);
    expect((await paymentRow(s, body.paymentId))?.status).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("active");
    expect((await paymentRow(s2, unpaid.body.paymentId))?.status).toBe("expired");
  });

  it("settles a checkout whose first attempt failed and whose retry was paid without a webhook", async (t) => {
    const s = await paymentSetup(t);
    const { body } = await checkout(s);
    const requestId = await requestIdOf(s, body.paymentId);
    const failed = await buyerPays(s, requestId, "failed");
    expect((await postWebhook(s, failed.webhook)).body.outcome).toBe("failed");
    await buyerPays(s, requestId, "paid");
    await adminQuery(
      "UPDATE payments SET updated_at = now() - interval '11 minutes' WHERE id = $1",
      [body.paymentId],
      s.h.database,
    );
    const report = await runMaintenance(s.h.env);
    expect(report.payments?.settled).toBe(1);
    expect((await paymentRow(s, body.paymentId))?.status).toBe("paid");
    expect(await enrolmentStatus(s)).toBe("active");
  });

  it("queues a receipt left due by a payment settled before receipts went through the outbox", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    const receipts = `SELECT count(*) AS n FROM notifications WHERE dedupe_key = 'receipt:${paymentId}' AND to_address = {email}`;
    expect(await count(s, receipts)).toBe(1);
    // A legacy paid payment: no receipt row, receipt_sent_at null.
    await adminQuery(
      "DELETE FROM notifications WHERE dedupe_key = $1",
      [`receipt:${paymentId}`],
      s.h.database,
    );
    await adminQuery(
      "UPDATE payments SET receipt_sent_at = NULL, paid_at = now() - interval '5 minutes' WHERE id = $1",
      [paymentId],
      s.h.database,
    );
    expect(await count(s, receipts)).toBe(0);
    const report = await runMaintenance(s.h.env);
    expect(report.payments?.receiptsSent).toBe(1);
    expect((await paymentRow(s, paymentId))?.receipt_sent_at).not.toBeNull();
    expect(await count(s, receipts)).toBe(1);
    // The job handed it to the Queue; it is delivered like any other.
    const mail = await lastEmailTo(s.h, s.student.email);
    expect(mail).toMatchObject({ template: "payment_receipt", status: "sent" });
    // Stamped in the same transaction: the next run queues nothing.
    const next = await runMaintenance(s.h.env);
    expect(next.payments?.receiptsSent).toBe(0);
    expect(await count(s, receipts)).toBe(1);
  });

  it("a due receipt whose notification exists already is stamped, not queued twice", async (t) => {
    const { s, paymentId } = await paidSetup(t);
    await adminQuery(
      "UPDATE payments SET receipt_sent_at = NULL, paid_at = now() - interval '5 minutes' WHERE id = $1",
      [paymentId],
      s.h.database,
    );
    await runMaintenance(s.h.env);
    expect((await paymentRow(s, paymentId))?.receipt_sent_at).not.toBeNull();
    expect(
      await count(
        s,
        `SELECT count(*) AS n FROM notifications WHERE dedupe_key = 'receipt:${paymentId}' AND to_address = {email}`,
      ),
    ).toBe(1);
  });
});
