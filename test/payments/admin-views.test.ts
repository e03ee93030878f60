/**
 * The admins' payment views (src/domains/payments/admin): list, detail, the day's
 * reconciliation and the CSV export, through the app as createApp() mounts it, against payments
 * seeded straight into the database the way the payment flows leave them (payments_guard:
 * inserted `created`, moved forward only).
 *
 * Every test in this file shares one database: each works in its own days (or searches by its
 * own tag), and counts that span all days (flagged, stale) are compared before and after.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type {
  AdminPayment,
  AdminPaymentDetail,
  Reconciliation,
} from "../../src/domains/payments/admin/schemas";
import {
  compareWithProvider,
  mapLimit,
  type OurPayment,
} from "../../src/domains/payments/admin/service/compare";
import { csvCell, rupees } from "../../src/domains/payments/admin/service/csv";
import { checkWithProvider } from "../../src/domains/payments/admin/service/reconciliation";
import { createWorker } from "../../src/index";
import { AppError } from "../../src/lib/errors";
import type {
  PaymentsProvider,
  Payment as ProviderPayment,
  PaymentRequest as ProviderRequest,
} from "../../src/providers/instamojo";
import { insertBatch, insertCourse } from "../support/catalogue";
import { Harness } from "../support/harness";
import { insertEnrolment } from "../support/learning";

interface Page<T> {
  data: T[];
  pagination: { limit: number; nextCursor: string | null; hasMore: boolean };
}
interface Problem {
  code: string;
  status: number;
  errors?: { path: string; message: string }[];
}

type Db = Harness["db"];
const hex32 = () => crypto.randomUUID().replaceAll("-", "");
const mojo = () => `MOJO${crypto.randomUUID().replaceAll("-", "").slice(0, 14).toUpperCase()}`;

interface Seed {
  userId: string;
  enrolmentId: string;
  createdAt: string;
  amountPaise?: number;
  status?: "created" | "pending" | "paid" | "failed" | "partially_refunded" | "refunded";
  paidAt?: string;
  requestId?: string;
  paymentId?: string;
  refundedPaise?: number;
  reviewReason?: string;
}

/** A payment walked through the state machine as the flows would (one update per step). */
async function seedPayment(db: Db, s: Seed) {
  const status = s.status ?? "paid";
  const amount = s.amountPaise ?? 100_000;
  const { rows } = await db.execute<{ id: string }>(sql`
    INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at, created_at)
    VALUES (${s.enrolmentId}, ${s.userId}, ${amount}, 'instamojo',
            ${s.createdAt}::timestamptz + interval '30 minutes', ${s.createdAt}::timestamptz)
    RETURNING id`);
  const id = rows[0]?.id;
  if (!id) throw new Error("payment insert failed");
  const requestId = s.requestId ?? hex32();
  const paymentId = s.paymentId ?? mojo();
  if (status !== "created") {
    await db.execute(
      sql`UPDATE payments SET status = 'pending', provider_request_id = ${requestId} WHERE id = ${id}`,
    );
  }
  if (status === "failed") {
    await db.execute(sql`UPDATE payments SET status = 'failed' WHERE id = ${id}`);
  }
  if (status === "paid" || status === "partially_refunded" || status === "refunded") {
    await db.execute(sql`UPDATE payments SET status = 'paid', provider_payment_id = ${paymentId},
      paid_at = ${s.paidAt ?? s.createdAt}::timestamptz WHERE id = ${id}`);
  }
  if (status === "partially_refunded" || status === "refunded") {
    const refunded = status === "refunded" ? amount : (s.refundedPaise ?? 1);
    await db.execute(
      sql`UPDATE payments SET status = ${status}, refunded_paise = ${refunded} WHERE id = ${id}`,
    );
  }
  if (s.reviewReason) {
    await db.execute(sql`UPDATE payments SET review_reason = ${s.reviewReason} WHERE id = ${id}`);
  }
  return { id, requestId, paymentId };
}

async function seedRefund(
  db: Db,
  paymentId: string,
  opts: { amountPaise: number; createdAt: string; settledAt?: string },
) {
  const { rows } = await db.execute<{ id: string }>(sql`
    INSERT INTO refunds (payment_id, amount_paise, type, reason, transaction_id, created_at,
                         updated_at)
    VALUES (${paymentId}, ${opts.amountPaise}, 'RFD', 'Changed batch', ${`txn_${hex32()}`},
            ${opts.createdAt}::timestamptz, ${opts.createdAt}::timestamptz)
    RETURNING id`);
  const id = rows[0]?.id;
  if (!id) throw new Error("refund insert failed");
  if (opts.settledAt) {
    await db.execute(sql`UPDATE refunds SET status = 'refunded', provider_status = 'Refunded',
      provider_refund_id = ${`C${hex32().slice(0, 10)}`}, settled_at = ${opts.settledAt}::timestamptz,
      updated_at = ${opts.settledAt}::timestamptz WHERE id = ${id}`);
  }
  return id;
}

let serial = Math.floor(Math.random() * 900_000);
async function seedInvoice(
  db: Db,
  p: { paymentId: string; userId: string },
  opts: {
    kind?: "invoice" | "credit_note";
    refundId?: string;
    originalInvoiceId?: string;
    taxable: number;
    cgst: number;
    sgst: number;
    igst: number;
  },
) {
  const kind = opts.kind ?? "invoice";
  const n = ++serial;
  const number = `${kind === "invoice" ? "INV" : "CRN"}/25-26/${String(n).padStart(6, "0")}`;
  const total = opts.taxable + opts.cgst + opts.sgst + opts.igst;
  const { rows } = await db.execute<{ id: string }>(sql`
    INSERT INTO invoices (kind, number, financial_year, serial, payment_id, refund_id,
      original_invoice_id, user_id, buyer_name, buyer_email, supplier_name, supplier_address,
      supplier_gstin, place_of_supply, description, rate_bps, taxable_paise, cgst_paise,
      sgst_paise, igst_paise, total_paise)
    VALUES (${kind}, ${number}, '2025-26', ${n}, ${p.paymentId}, ${opts.refundId ?? null},
      ${opts.originalInvoiceId ?? null}, ${p.userId}, 'Buyer', 'buyer@example.in', 'Coaching Pvt Ltd',
      'Pune', '27AAAAA0000A1Z5', '27', 'Course fee', 1800, ${opts.taxable}, ${opts.cgst},
      ${opts.sgst}, ${opts.igst}, ${total})
    RETURNING id`);
  const id = rows[0]?.id;
  if (!id) throw new Error("invoice insert failed");
  return { id, number };
}

/** A batch of a course, and students enrolled in it. */
async function catalogue(h: Harness, opts: { title?: string; batchName?: string } = {}) {
  const course = await insertCourse(h.database, { title: opts.title ?? "JEE Physics" });
  const batch = await insertBatch(h.database, course.id, {
    name: opts.batchName ?? "Morning batch",
    capacity: 2_000,
  });
  const student = async (fullName = "Asha Rao", email?: string) => {
    const user = await h.createUser({ fullName, email });
    const enrolment = await insertEnrolment(h.database, user.id, batch.id, { status: "active" });
    return { userId: user.id, email: user.email, enrolmentId: enrolment.id, user };
  };
  return { course, batch, student };
}

// ---------------------------------------------------------------------------------------------

describe("admin payment views: access", () => {
  it("every route: 401 without a token, 403 for a student, open to admins", async (t) => {
    const h = await Harness.init(t);
    const [student, admin, superAdmin] = await Promise.all([
      h.asStudent(),
      h.asAdmin(),
      h.asAdmin("super_admin"),
    ]);
    // The detail of an unknown id is a 404 for those allowed to ask.
    for (const [path, allowed] of [
      ["/v1/admin/payments", 200],
      [`/v1/admin/payments/${crypto.randomUUID()}`, 404],
      ["/v1/admin/payments/reconciliation", 200],
      ["/v1/admin/payments/export.csv?from=2020-01-01&to=2020-01-02", 200],
    ] as const) {
      const anonymous = await h.get<Problem>(path);
      expect(anonymous.status, `${path}: ${anonymous.text}`).toBe(401);
      const denied = await h.get<Problem>(path, { headers: student.auth });
      expect(denied.status, `${path}: ${denied.text}`).toBe(403);
      expect(denied.body.code).toBe("FORBIDDEN");
      expect(denied.headers.get("Content-Type")).toMatch(/application\/problem\+json/);
      for (const who of [admin, superAdmin]) {
        const res = await h.get(path, { headers: who.auth });
        expect(res.status, `${who.role} ${path}: ${res.text}`).toBe(allowed);
      }
    }
  });
});

describe("GET /v1/admin/payments", () => {
  it("newest first over keyset pages, filtered by status and by India's days", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student, course, batch } = await catalogue(h, {
      title: "NEET Biology",
      batchName: "Evening batch",
    });
    const asha = await student("Asha Rao");
    const statuses = ["created", "pending", "paid", "failed", "refunded", "paid"] as const;
    const seeded = [];
    // 2025-01-10 in India is [2025-01-09T18:30Z, 2025-01-10T18:30Z).
    for (const [i, status] of statuses.entries()) {
      const s = i === 0 ? asha : await student(`Student ${i}`);
      seeded.push(
        await seedPayment(h.db, {
          ...s,
          status,
          createdAt: new Date(Date.UTC(2025, 0, 9, 18, 30 + i * 60)).toISOString(),
        }),
      );
    }
    const before = await student("Before midnight");
    await seedPayment(h.db, { ...before, status: "paid", createdAt: "2025-01-09T18:29:59.999Z" });
    const after = await student("Next day");
    await seedPayment(h.db, { ...after, status: "paid", createdAt: "2025-01-10T18:30:00Z" });

    const window = "from=2025-01-10&to=2025-01-11";
    const seen: AdminPayment[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string = `/v1/admin/payments?${window}&limit=4${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
      }`;
      const res = await h.get<Page<AdminPayment>>(path, { headers: admin.auth });
      expect(res.status, res.text).toBe(200);
      if (res.body.pagination.hasMore) expect(res.headers.get("Link")).toMatch(/rel="next"/);
      seen.push(...res.body.data);
      cursor = res.body.pagination.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen.map((p) => p.id)).toEqual(seeded.map((p) => p.id).reverse());
    const first = seen.at(-1);
    expect(first).toMatchObject({
      status: "created",
      amountPaise: 100_000,
      refundedPaise: 0,
      currency: "INR",
      provider: "instamojo",
      providerRequestId: null,
      providerPaymentId: null,
      reviewReason: null,
      createdAt: "2025-01-09T18:30:00.000Z",
      paidAt: null,
      student: { id: asha.userId, email: asha.email, fullName: "Asha Rao" },
      enrolment: { id: asha.enrolmentId, batchId: batch.id },
      batch: { id: batch.id, name: "Evening batch" },
      course: { id: course.id, slug: course.slug, title: "NEET Biology" },
    });
    const refunded = seen.find((p) => p.status === "refunded");
    expect(refunded?.refundedPaise).toBe(100_000);
    expect(refunded?.paidAt).toBe(refunded?.createdAt);

    const paid = await h.get<Page<AdminPayment>>(`/v1/admin/payments?${window}&status=paid`, {
      headers: admin.auth,
    });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body.data.map((p) => p.id)).toEqual([seeded[5]?.id, seeded[2]?.id]);

    // Instants work too, and `to` is exclusive.
    const instants = await h.get<Page<AdminPayment>>(
      `/v1/admin/payments?from=${encodeURIComponent("2025-01-10T00:00:00+05:30")}&to=${encodeURIComponent(
        "2025-01-09T20:30:00Z",
      )}`,
      { headers: admin.auth },
    );
    expect(instants.status, instants.text).toBe(200);
    expect(instants.body.data.map((p) => p.id)).toEqual([seeded[1]?.id, seeded[0]?.id]);
  });

  it("a tampered or foreign cursor is a 400 problem", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student } = await catalogue(h);
    for (let i = 0; i < 3; i++) {
      await seedPayment(h.db, {
        ...(await student(`Paging ${i}`)),
        createdAt: `2025-02-0${i + 1}T06:00:00Z`,
      });
    }
    const window = "from=2025-02-01&to=2025-02-05";
    const res = await h.get<Page<AdminPayment>>(`/v1/admin/payments?${window}&limit=1`, {
      headers: admin.auth,
    });
    const cursor = res.body.pagination.nextCursor ?? "";
    expect(cursor).not.toBe("");
    for (const path of [
      `/v1/admin/payments?${window}&limit=1&cursor=${encodeURIComponent(`${cursor}x`)}`,
      `/v1/admin/payments?${window}&limit=1&cursor=${encodeURIComponent(`x${cursor.slice(1)}`)}`,
      // A cursor minted for other filters.
      `/v1/admin/payments?${window}&status=paid&limit=1&cursor=${encodeURIComponent(cursor)}`,
      `/v1/admin/payments?limit=1&cursor=not-a-cursor`,
    ]) {
      const bad = await h.get<Problem>(path, { headers: admin.auth });
      expect(bad.status, `${path}: ${bad.text}`).toBe(400);
      expect(bad.body.code).toBe("VALIDATION_FAILED");
    }
  });

  it("q finds by the student's email or name, and by exact Instamojo or payment ids", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student } = await catalogue(h);
    const tag = crypto.randomUUID().slice(0, 8);
    const meera = await student(`Meera ${tag}`, `meera.${tag}@example.in`);
    const ravi = await student("Ravi Kumar", `ravi.${tag}@example.in`);
    const m1 = await seedPayment(h.db, { ...meera, createdAt: "2025-03-01T05:00:00Z" });
    const r1 = await seedPayment(h.db, { ...ravi, createdAt: "2025-03-01T06:00:00Z" });
    const search = async (q: string) => {
      const res = await h.get<Page<AdminPayment>>(`/v1/admin/payments?q=${encodeURIComponent(q)}`, {
        headers: admin.auth,
      });
      expect(res.status, `${q}: ${res.text}`).toBe(200);
      return res.body.data.map((p) => p.id);
    };
    expect(await search(`meera.${tag}@example.in`)).toEqual([m1.id]);
    expect(await search(`MEERA ${tag.toUpperCase()}`)).toEqual([m1.id]);
    expect((await search(tag)).sort()).toEqual([m1.id, r1.id].sort());
    expect(await search(r1.requestId)).toEqual([r1.id]);
    expect(await search(r1.paymentId)).toEqual([r1.id]);
    expect(await search(m1.id)).toEqual([m1.id]);
    // LIKE wildcards are text, not patterns.
    expect(await search(`%${tag}`)).toEqual([]);
    expect(await search(`no-such-${tag}`)).toEqual([]);
  });

  it("invalid filters are 400 problems, never 500", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    for (const query of [
      "status=settled",
      "from=2025-01-02&to=2025-01-01",
      "from=2025-01-01&to=2025-01-01",
      "from=2025-01-01T00%3A00%3A00Z&to=2025-01-01",
      "from=yesterday",
      "from=2025-02-30",
      "to=0000-01-01",
      "from=0000-01-01T00%3A00%3A00Z",
      "to=2025-01-01T10%3A00%3A00",
      "q=a%00b",
      "limit=0",
      "limit=101",
    ]) {
      const res = await h.get<Problem>(`/v1/admin/payments?${query}`, { headers: admin.auth });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
  });
});

describe("GET /v1/admin/payments/{id}", () => {
  it("the payment with its timeline, refunds and tax documents", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student } = await catalogue(h);
    const s = await student("Kiran Das");
    const p = await seedPayment(h.db, {
      ...s,
      amountPaise: 118_000,
      status: "partially_refunded",
      refundedPaise: 59_000,
      createdAt: "2025-04-02T04:00:00Z",
      paidAt: "2025-04-02T04:05:00Z",
    });
    await h.db.execute(sql`
      INSERT INTO payment_events (payment_id, from_status, to_status, cause, actor_id, note,
                                  provider_fields, created_at)
      VALUES (${p.id}, NULL, 'created', 'checkout', ${s.userId}, NULL, NULL, '2025-04-02T04:00:00Z'),
             (${p.id}, 'created', 'pending', 'checkout', ${s.userId}, NULL, NULL, '2025-04-02T04:00:01Z'),
             (${p.id}, 'pending', 'paid', 'webhook', NULL, NULL,
              ${JSON.stringify({ payment_id: p.paymentId, status: "Credit" })}::jsonb,
              '2025-04-02T04:05:00Z'),
             (${p.id}, 'paid', 'partially_refunded', 'refund', ${admin.id}, 'partial', NULL,
              '2025-04-03T04:00:00Z')`);
    const refundId = await seedRefund(h.db, p.id, {
      amountPaise: 59_000,
      createdAt: "2025-04-03T04:00:00Z",
      settledAt: "2025-04-04T04:00:00Z",
    });
    const invoice = await seedInvoice(
      h.db,
      { paymentId: p.id, userId: s.userId },
      {
        taxable: 100_000,
        cgst: 9_000,
        sgst: 9_000,
        igst: 0,
      },
    );
    const note = await seedInvoice(
      h.db,
      { paymentId: p.id, userId: s.userId },
      {
        kind: "credit_note",
        refundId,
        originalInvoiceId: invoice.id,
        taxable: 50_000,
        cgst: 4_500,
        sgst: 4_500,
        igst: 0,
      },
    );
    // Another payment's rows stay out.
    const other = await seedPayment(h.db, {
      ...(await student()),
      createdAt: "2025-04-02T05:00:00Z",
    });
    await seedRefund(h.db, other.id, { amountPaise: 100, createdAt: "2025-04-03T05:00:00Z" });

    const res = await h.get<AdminPaymentDetail>(`/v1/admin/payments/${p.id}`, {
      headers: admin.auth,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: p.id,
      status: "partially_refunded",
      amountPaise: 118_000,
      refundedPaise: 59_000,
      providerRequestId: p.requestId,
      providerPaymentId: p.paymentId,
      paidAt: "2025-04-02T04:05:00.000Z",
      student: { id: s.userId, fullName: "Kiran Das" },
    });
    expect(res.body.events.map((e) => [e.from, e.to, e.cause])).toEqual([
      [null, "created", "checkout"],
      ["created", "pending", "checkout"],
      ["pending", "paid", "webhook"],
      ["paid", "partially_refunded", "refund"],
    ]);
    expect(res.body.events[2]).toMatchObject({
      actorId: null,
      providerFields: { payment_id: p.paymentId, status: "Credit" },
      createdAt: "2025-04-02T04:05:00.000Z",
    });
    expect(res.body.events[3]).toMatchObject({ actorId: admin.id, note: "partial" });
    expect(res.body.refunds).toHaveLength(1);
    expect(res.body.refunds[0]).toMatchObject({
      id: refundId,
      amountPaise: 59_000,
      type: "RFD",
      reason: "Changed batch",
      status: "refunded",
      providerStatus: "Refunded",
      requestedBy: null,
      settledAt: "2025-04-04T04:00:00.000Z",
      createdAt: "2025-04-03T04:00:00.000Z",
    });
    expect(res.body.invoices).toEqual([
      expect.objectContaining({
        id: invoice.id,
        kind: "invoice",
        number: invoice.number,
        totalPaise: 118_000,
        refundId: null,
      }),
      expect.objectContaining({
        id: note.id,
        kind: "credit_note",
        number: note.number,
        totalPaise: 59_000,
        refundId,
      }),
    ]);
  });

  it("404 for an unknown payment, 400 for an id that is no uuid", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const missing = await h.get<Problem>(`/v1/admin/payments/${crypto.randomUUID()}`, {
      headers: admin.auth,
    });
    expect(missing.status, missing.text).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    for (const id of ["nope", "123", "MOJO123", `${crypto.randomUUID()}x`]) {
      const bad = await h.get<Problem>(`/v1/admin/payments/${id}`, { headers: admin.auth });
      expect(bad.status, `${id}: ${bad.text}`).toBe(400);
      expect(bad.body.code).toBe("VALIDATION_FAILED");
    }
  });
});

describe("GET /v1/admin/payments/reconciliation", () => {
  it("a day in India: paid by paid_at, refunds, flagged and stale; requests Instamojo lacks", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student } = await catalogue(h);
    const report = async (date?: string) => {
      const res = await h.get<Reconciliation>(
        `/v1/admin/payments/reconciliation${date ? `?date=${date}` : ""}`,
        { headers: admin.auth },
      );
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    const baseline = await report("2026-03-31");

    // 18:29:59Z on 31 March is 23:59:59 in India; 18:30Z is midnight of 1 April.
    const late = await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 50_000,
      createdAt: "2026-03-31T10:00:00Z",
      paidAt: "2026-03-31T18:29:59Z",
    });
    await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 70_000,
      createdAt: "2026-03-31T18:00:00Z",
      paidAt: "2026-03-31T18:30:00Z",
    });
    await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 20_000,
      status: "refunded",
      createdAt: "2026-03-30T18:29:00Z",
      paidAt: "2026-03-30T18:29:00Z",
    });
    // Paid on the 30th in India (23:59:59 there), created on the 29th: neither is the 31st's.
    await seedPayment(h.db, {
      ...(await student()),
      createdAt: "2026-03-29T10:00:00Z",
      paidAt: "2026-03-30T18:29:59Z",
    });
    await seedRefund(h.db, late.id, {
      amountPaise: 10_000,
      createdAt: "2026-03-31T05:00:00Z",
      settledAt: "2026-03-31T18:29:00Z",
    });
    await seedRefund(h.db, late.id, { amountPaise: 5_000, createdAt: "2026-03-31T06:00:00Z" });
    // Settled on 1 April (India): not the 31st's.
    await seedRefund(h.db, late.id, {
      amountPaise: 3_000,
      createdAt: "2026-03-31T07:00:00Z",
      settledAt: "2026-03-31T18:31:00Z",
    });
    // Flagged (any day) and stuck open for more than 10 minutes (any day).
    await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 9_900,
      createdAt: "2024-12-01T00:00:00Z",
      paidAt: "2024-12-01T00:00:00Z",
      reviewReason: "amount_mismatch",
    });
    await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 1_100,
      status: "pending",
      createdAt: new Date(Date.now() - 11 * 60_000).toISOString(),
    });
    await seedPayment(h.db, {
      ...(await student()),
      amountPaise: 2_200,
      status: "created",
      createdAt: new Date(Date.now() - 60 * 60_000).toISOString(),
    });
    // Open, but not for 10 minutes yet.
    await seedPayment(h.db, {
      ...(await student()),
      status: "pending",
      createdAt: new Date(Date.now() - 2 * 60_000).toISOString(),
    });

    const march31 = await report("2026-03-31");
    expect(march31).toMatchObject({
      date: "2026-03-31",
      timezone: "Asia/Kolkata",
      from: "2026-03-30T18:30:00.000Z",
      to: "2026-03-31T18:30:00.000Z",
      paid: { count: baseline.paid.count + 1, amountPaise: baseline.paid.amountPaise + 50_000 },
      refunds: {
        refunded: {
          count: baseline.refunds.refunded.count + 1,
          amountPaise: baseline.refunds.refunded.amountPaise + 10_000,
        },
        inFlight: {
          count: baseline.refunds.inFlight.count + 1,
          amountPaise: baseline.refunds.inFlight.amountPaise + 5_000,
        },
      },
      flagged: {
        count: baseline.flagged.count + 1,
        amountPaise: baseline.flagged.amountPaise + 9_900,
      },
      staleOpen: {
        count: baseline.staleOpen.count + 2,
        amountPaise: baseline.staleOpen.amountPaise + 3_300,
      },
      // Asked of the fake Instamojo, which has never seen these seeded requests.
      providerChecked: true,
      // Created on the 31st in India with a payment request: `late` and the one paid on 1 April.
      checked: baseline.checked + 2,
      skipped: baseline.skipped,
    });
    expect(
      march31.mismatches?.filter((m: { problem: string }) => m.problem === "request_missing"),
    ).toHaveLength(
      (baseline.mismatches?.filter((m) => m.problem === "request_missing").length ?? 0) + 2,
    );
    const april1 = await report("2026-04-01");
    expect(april1.paid.amountPaise - baseline.paid.amountPaise).toBeGreaterThanOrEqual(70_000);
    expect(april1.refunds.refunded.amountPaise).toBeGreaterThanOrEqual(3_000);
    const march30 = await report("2026-03-30");
    expect(march30.paid).toEqual({ count: 2, amountPaise: 120_000 });

    // Default: today in India.
    const today = await report();
    const istToday = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
    expect(today.date).toBe(istToday);
  });

  it("a date that is no calendar day is a 400 problem", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    for (const date of [
      "2026-02-30",
      "31-03-2026",
      "2026-3-1",
      "today",
      "0000-01-01",
      "9999-12-31",
      "2026-03-31T00:00:00Z",
    ]) {
      const res = await h.get<Problem>(`/v1/admin/payments/reconciliation?date=${date}`, {
        headers: admin.auth,
      });
      expect(res.status, `${date}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
  });
});

/** RFC 4180, enough for the tests: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  if (cell !== "" || row.length) throw new Error("CSV does not end with CRLF");
  return rows;
}

describe("GET /v1/admin/payments/export.csv", () => {
  it("a file of the window's payments: IST times, rupees, invoice amounts, safe cells", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { student } = await catalogue(h, { title: "JEE, Maths", batchName: 'The "A" batch' });
    const quoted = await student('Rao, "Asha"');
    const formula = await student('=HYPERLINK("http://evil.example","x")');
    const minus = await student("-2+3");
    const p1 = await seedPayment(h.db, {
      ...quoted,
      amountPaise: 118_000,
      createdAt: "2025-05-31T18:30:00Z",
      paidAt: "2025-05-31T18:35:07Z",
    });
    await seedInvoice(
      h.db,
      { paymentId: p1.id, userId: quoted.userId },
      {
        taxable: 100_000,
        cgst: 9_000,
        sgst: 9_000,
        igst: 0,
      },
    );
    const p2 = await seedPayment(h.db, {
      ...formula,
      amountPaise: 99_901,
      status: "created",
      createdAt: "2025-06-01T10:00:00Z",
    });
    const p3 = await seedPayment(h.db, {
      ...minus,
      amountPaise: 5,
      status: "partially_refunded",
      refundedPaise: 2,
      createdAt: "2025-06-01T12:00:00Z",
    });
    // Outside the window on both sides.
    await seedPayment(h.db, { ...(await student()), createdAt: "2025-05-31T18:29:59Z" });
    await seedPayment(h.db, { ...(await student()), createdAt: "2025-06-01T18:30:00Z" });

    const raw = await h.fetch("/v1/admin/payments/export.csv?from=2025-06-01&to=2025-06-02", {
      headers: admin.auth,
    });
    const bytes = new Uint8Array(await raw.arrayBuffer());
    // UTF-8 with a byte-order mark (which TextDecoder drops), so Excel reads names right.
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const res = { status: raw.status, headers: raw.headers, text: new TextDecoder().decode(bytes) };
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(
      'attachment; filename="payments-2025-06-01-2025-06-02.csv"',
    );
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual([
      "Payment ID",
      "Created at (IST)",
      "Paid at (IST)",
      "Status",
      "Student name",
      "Email",
      "Course",
      "Batch",
      "Amount (INR)",
      "Refunded (INR)",
      "Invoice number",
      "Taxable (INR)",
      "CGST (INR)",
      "SGST (INR)",
      "IGST (INR)",
      "Instamojo request ID",
      "Instamojo payment ID",
    ]);
    expect(rows.slice(1).map((r) => r[0])).toEqual([p1.id, p2.id, p3.id]);
    expect(rows[1]).toEqual([
      p1.id,
      "2025-06-01 00:00:00",
      "2025-06-01 00:05:07",
      "paid",
      'Rao, "Asha"',
      quoted.email,
      "JEE, Maths",
      'The "A" batch',
      "1180.00",
      "0.00",
      expect.stringMatching(/^INV\/25-26\/\d{6}$/),
      "1000.00",
      "90.00",
      "90.00",
      "0.00",
      p1.requestId,
      p1.paymentId,
    ]);
    expect(rows[2]).toEqual([
      p2.id,
      "2025-06-01 15:30:00",
      "",
      "created",
      `'=HYPERLINK("http://evil.example","x")`,
      formula.email,
      "JEE, Maths",
      'The "A" batch',
      "999.01",
      "0.00",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
    ]);
    expect(rows[3]?.slice(3, 10)).toEqual([
      "partially_refunded",
      "'-2+3",
      minus.email,
      "JEE, Maths",
      'The "A" batch',
      "0.05",
      "0.02",
    ]);
    // The raw text: RFC 4180 quoting of the quote-and-comma name.
    expect(res.text).toContain(`,"Rao, ""Asha""",`);
    expect(res.text).toContain(`,"'=HYPERLINK(""http://evil.example"",""x"")",`);
  });

  it("streams thousands of rows page by page, each payment exactly once", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    const { batch } = await catalogue(h);
    const tag = crypto.randomUUID().slice(0, 8);
    // 1,100 students, enrolments and payments in one statement; some share a created_at, so
    // pages must break ties by id.
    await h.db.execute(sql`
      WITH u AS (
        INSERT INTO users (email, password_hash, full_name, role, status)
        SELECT 'bulk-' || ${tag} || '-' || n || '@example.in', 'x', 'Bulk ' || n, 'student', 'active'
        FROM generate_series(1, 1100) AS n
        RETURNING id
      ), e AS (
        INSERT INTO enrolments (user_id, batch_id, status, source, price_paise, activated_at)
        SELECT id, ${batch.id}, 'active', 'self', 0, now() FROM u
        RETURNING id, user_id
      )
      INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at, created_at)
      SELECT e.id, e.user_id, 100 + row_number() OVER (), 'instamojo', now(),
             '2025-07-01T00:00:00Z'::timestamptz + (row_number() OVER () / 3) * interval '1 second'
      FROM e`);

    const worker = createWorker(createApp());
    const ctx = createExecutionContext();
    const response = await worker.fetch?.(
      new Request(
        "http://api.test/v1/admin/payments/export.csv?from=2025-07-01T00:00:00Z&to=2025-07-02T00:00:00Z",
        {
          headers: { ...admin.auth, "CF-Connecting-IP": h.ip },
        },
      ) as Request<unknown, IncomingRequestCfProperties>,
      h.env,
      ctx,
    );
    if (!response?.body) throw new Error("no body");
    expect(response.status).toBe(200);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += decoder.decode(value, { stream: true });
    }
    await waitOnExecutionContext(ctx);
    // Header, then one chunk per page of 500: 500, 500, 100.
    expect(chunks).toBeGreaterThanOrEqual(4);
    const rows = parseCsv(text).slice(1);
    expect(rows).toHaveLength(1100);
    expect(new Set(rows.map((r) => r[0])).size).toBe(1100);
    const amounts = rows.map((r) => Number(r[8]));
    expect(amounts.reduce((a, b) => a + b, 0)).toBeCloseTo(
      (1100 * 100 + (1100 * 1101) / 2) / 100,
      2,
    );
    const created = rows.map((r) => r[1] ?? "");
    expect([...created].sort()).toEqual(created);
  });

  it("from and to are required, in order, at most 366 days apart", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin();
    for (const query of [
      "",
      "from=2025-01-01",
      "to=2025-01-01",
      "from=2025-01-02&to=2025-01-01",
      "from=2025-01-01&to=2025-01-01",
      "from=2025-01-01&to=2026-01-03",
      "from=2024-01-01T00%3A00%3A00Z&to=2025-01-01T00%3A00%3A01Z",
      "from=2025-13-01&to=2025-12-01",
      "from=0000-01-01&to=0000-01-02",
    ]) {
      const res = await h.get<Problem>(`/v1/admin/payments/export.csv?${query}`, {
        headers: admin.auth,
      });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    // 366 days exactly (a leap year) is allowed.
    const leap = await h.get("/v1/admin/payments/export.csv?from=2024-01-01&to=2025-01-01", {
      headers: admin.auth,
    });
    expect(leap.status, leap.text).toBe(200);
    const instants = await h.get(
      "/v1/admin/payments/export.csv?from=2025-01-01T00%3A00%3A00%2B05%3A30&to=2025-01-02T00%3A00%3A00Z",
      { headers: admin.auth },
    );
    expect(instants.status, instants.text).toBe(200);
    expect(instants.headers.get("Content-Disposition")).toBe(
      'attachment; filename="payments-2025-01-01T0000000530-2025-01-02T000000Z.csv"',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The pure parts

const ours = (o: Partial<OurPayment> = {}): OurPayment => ({
  id: "11111111-1111-4111-8111-111111111111",
  status: "paid",
  amountPaise: 100_000,
  currency: "INR",
  providerRequestId: "a".repeat(32),
  providerPaymentId: "MOJO1",
  ...o,
});
const request = (o: Partial<ProviderRequest> = {}): ProviderRequest => ({
  id: "a".repeat(32),
  amountPaise: 100_000,
  status: "Completed",
  checkoutUrl: "https://instamojo.example/@x",
  paymentIds: ["MOJO1"],
  ...o,
});
const theirPayment = (o: Partial<ProviderPayment> = {}): ProviderPayment => ({
  id: "MOJO1",
  status: true,
  amountPaise: 100_000,
  currency: "INR",
  paymentRequestId: "a".repeat(32),
  instrumentType: "UPI",
  failureReason: null,
  raw: {},
  ...o,
});

describe("compareWithProvider", () => {
  it.each([
    ["agreeing paid", ours(), [theirPayment()], true, []],
    ["agreeing unpaid", ours({ status: "pending", providerPaymentId: null }), [], true, []],
    [
      "agreeing unpaid with a failed attempt",
      ours({ status: "failed", providerPaymentId: null }),
      [theirPayment({ status: false })],
      true,
      [],
    ],
    ["a refunded payment counts as paid", ours({ status: "refunded" }), [theirPayment()], true, []],
    ["paid here, nothing there", ours(), [], true, ["paid_without_provider_payment"]],
    [
      "paid here, only an initiated payment there",
      ours(),
      [theirPayment({ status: null })],
      true,
      ["paid_without_provider_payment"],
    ],
    [
      "paid there, not here",
      ours({ status: "expired", providerPaymentId: null }),
      [theirPayment()],
      true,
      ["provider_paid_not_recorded"],
    ],
    ["amount differs", ours(), [theirPayment({ amountPaise: 99_900 })], true, ["amount_differs"]],
    ["currency differs", ours(), [theirPayment({ currency: "USD" })], true, ["currency_differs"]],
    [
      "paid twice",
      ours(),
      [theirPayment(), theirPayment({ id: "MOJO2" })],
      true,
      ["multiple_provider_payments"],
    ],
    [
      "another payment settled it",
      ours({ providerPaymentId: "MOJO9" }),
      [theirPayment()],
      true,
      ["payment_id_differs"],
    ],
    [
      "a payment of another request is ignored",
      ours(),
      [theirPayment({ paymentRequestId: "b".repeat(32) })],
      true,
      ["paid_without_provider_payment"],
    ],
    [
      "request unknown there",
      ours(),
      [],
      false,
      ["request_missing", "paid_without_provider_payment"],
    ],
  ] as const)("%s", (_name, our, payments, hasRequest, problems) => {
    const found = compareWithProvider(our, {
      request: hasRequest ? request() : null,
      payments: [...payments],
    });
    expect(found.map((m) => m.problem)).toEqual(problems);
    for (const m of found) expect(m.paymentId).toBe(our.id);
  });

  it("reports the provider's side of a disagreement", () => {
    const [m] = compareWithProvider(ours({ status: "pending", providerPaymentId: null }), {
      request: request(),
      payments: [theirPayment({ id: "MOJO7", amountPaise: 100_000 })],
    });
    expect(m).toEqual({
      paymentId: ours().id,
      problem: "provider_paid_not_recorded",
      ourStatus: "pending",
      ourAmountPaise: 100_000,
      providerPaymentId: "MOJO7",
      providerAmountPaise: 100_000,
    });
  });
});

describe("checkWithProvider", () => {
  const fake = (impl: {
    getPaymentRequest?: (id: string) => Promise<ProviderRequest | null>;
    getPayment?: (id: string) => Promise<ProviderPayment | null>;
  }): PaymentsProvider => ({
    kind: "instamojo",
    createPaymentRequest: () => Promise.reject(new Error("not used")),
    createRefund: () => Promise.reject(new Error("not used")),
    getRefund: () => Promise.reject(new Error("not used")),
    getPaymentRequest: impl.getPaymentRequest ?? ((id) => Promise.resolve(request({ id }))),
    getPayment: impl.getPayment ?? ((id) => Promise.resolve(theirPayment({ id }))),
  });

  it("at most four calls in flight; a failed call is reported on its row", async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = async <T>(value: T) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return value;
    };
    const rows = Array.from({ length: 12 }, (_, i) =>
      ours({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        providerRequestId: `${i}`.padStart(32, "a"),
        providerPaymentId: `MOJO${i}`,
      }),
    );
    const found = await checkWithProvider(
      fake({
        getPaymentRequest: (id) => {
          if (id === rows[3]?.providerRequestId) return Promise.reject(new Error("timeout"));
          return slow(request({ id, paymentIds: [] }));
        },
        getPayment: (id) =>
          slow(
            theirPayment({
              id,
              paymentRequestId: rows.find((r) => r.providerPaymentId === id)?.providerRequestId,
              amountPaise: id === "MOJO5" ? 1 : 100_000,
            }),
          ),
      }),
      rows,
    );
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
    expect(found).toEqual([
      expect.objectContaining({ paymentId: rows[3]?.id, problem: "provider_unavailable" }),
      expect.objectContaining({ paymentId: rows[5]?.id, problem: "amount_differs" }),
    ]);
  });

  it("null when the provider turns out not to be configured", async () => {
    const misconfigured = () =>
      Promise.reject(new AppError({ code: "BAD_ENVIRONMENT", detail: "no provider" }));
    expect(
      await checkWithProvider(fake({ getPaymentRequest: misconfigured }), [ours()]),
    ).toBeNull();
  });

  it("mapLimit keeps the input order", async () => {
    const out = await mapLimit([30, 10, 20, 0], 2, async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    });
    expect(out).toEqual([30, 10, 20, 0]);
  });
});

describe("CSV cells", () => {
  it.each([
    ["plain", "plain"],
    ["", ""],
    ['Rao, "Asha"', '"Rao, ""Asha"""'],
    ["two\r\nlines", '"two\r\nlines"'],
    ["=1+2", "'=1+2"],
    ["+91 98765", "'+91 98765"],
    ["-5", "'-5"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tTab", "'\tTab"],
    ["\rCR", `"'\rCR"`],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ["a=b", "a=b"],
  ])("%j → %j", (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it("rupees from paise without floating point", () => {
    expect([0, 5, 99, 100, 149_900, 99_901, 1_234_567_891].map(rupees)).toEqual([
      "0.00",
      "0.05",
      "0.99",
      "1.00",
      "1499.00",
      "999.01",
      "12345678.91",
    ]);
    expect(rupees(null)).toBe("");
  });
});
