/**
 * A local stand-in for Instamojo's Payments API v2 (PROVIDERS.md §1), answering as documented:
 *   POST /oauth2/token/                  form grant_type=client_credentials, client_id,
 *                                        client_secret (any id with a non-empty secret; ids
 *                                        starting "bad" → 401 invalid_client)
 *   POST|GET /v2/payment_requests/       create (201, form body) | list (?limit=&page=)
 *   GET  /v2/payment_requests/{id}/      200 with `payments` (links)
 *   GET  /v2/payments/{id}/              v2 payment: status true | false | null
 *   POST /v2/payments/{id}/refund/       201 {success, refund}; dedupes on transaction_id,
 *                                        which is mandatory from the second refund
 *   GET  /v2/refunds/{id}/               200 refund
 * Bearer required (401 for a missing, unknown or expired token). Bodies form-encoded; booleans
 * true/false or 1/0. Refusals are 400 {"success":false,"message":{field:[…]}}.
 *
 * Everything is kept per client id, so each test takes a fresh client and shares nothing.
 * Test controls (not Instamojo), under /__control/clients/{clientId}:
 *   GET  …                        {calls, requests, payments, refunds, tokenRequests, forms}
 *   POST …/faults                 {op, mode, times?, applyFirst?, hangMs?}: the next `times`
 *                                 (default 1; -1 = always) calls of op (token | create_request |
 *                                 list_requests | get_request | get_payment | create_refund |
 *                                 get_refund) answer by mode: server_error (500) | hang (no
 *                                 answer for hangMs, default 30 s) | token_expired (401) |
 *                                 success_false (200 {"success":false}) | unreadable (200, not
 *                                 JSON) | missing_fields (200 {}) | rate_limited (429).
 *                                 applyFirst: do the operation, then answer with the fault
 *   POST …/expire-tokens          every token issued so far answers 401
 *   POST …/requests/{id}/pay      {outcome: paid|failed|initiated, salt, instrumentType?}:
 *                                 the buyer pays; answers {payment, webhook: {…fields, mac}}
 *   POST …/refunds/{id}/status    {status}: Instamojo's text for that refund
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type FakeInstamojoOp =
  | "token"
  | "create_request"
  | "list_requests"
  | "get_request"
  | "get_payment"
  | "create_refund"
  | "get_refund";

export type FakeInstamojoFaultMode =
  | "server_error"
  | "hang"
  | "token_expired"
  | "success_false"
  | "unreadable"
  | "missing_fields"
  | "rate_limited";

interface Fault {
  op: FakeInstamojoOp;
  mode: FakeInstamojoFaultMode;
  times: number;
  applyFirst: boolean;
  hangMs: number;
}

interface PaymentRequestRecord {
  id: string;
  amountPaise: number;
  fields: Record<string, string>;
  status: string;
  payments: string[];
  created_at: string;
}

interface PaymentRecord {
  id: string;
  requestId: string;
  status: boolean | null;
  amountPaise: number;
  instrumentType: string | null;
  created_at: string;
}

interface RefundRecord {
  id: string;
  paymentId: string;
  transactionId: string | null;
  type: string;
  body: string;
  amountPaise: number;
  status: string;
  created_at: string;
}

interface Client {
  faults: Fault[];
  calls: Record<FakeInstamojoOp, number>;
  requests: Map<string, PaymentRequestRecord>;
  payments: Map<string, PaymentRecord>;
  refunds: Map<string, RefundRecord>;
  tokens: string[];
  /** The form fields of every API POST, as received (tests check what the adapter sent). */
  forms: { op: FakeInstamojoOp; fields: Record<string, string> }[];
}

export interface FakeInstamojo {
  port: number;
  url: string;
  close: () => Promise<void>;
}

const REFUND_TYPES = ["RFD", "TNR", "QFL", "QNR", "EWN", "TAN", "PTH"];

function reply(res: ServerResponse, status: number, body?: unknown, raw?: string) {
  if (res.headersSent || res.destroyed) return;
  if (raw !== undefined) {
    res.writeHead(status, { "content-type": "text/html" });
    res.end(raw);
    return;
  }
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Rupee text → paise, exactly (the fake's own reading, not the app's). */
function paiseOf(text: string | undefined): number | null {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text ?? "");
  if (!m?.[1]) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}
const rupees = (paise: number) =>
  `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, "0")}`;

function bool(value: string | undefined): boolean | undefined {
  if (value === "true" || value === "1" || value === "True") return true;
  if (value === "false" || value === "0" || value === "False") return false;
  return undefined;
}

const refused = (field: string, why: string) => ({ success: false, message: { [field]: [why] } });

/** Instamojo's MAC, written independently of src/providers/instamojo/mac.ts. */
export function fakeInstamojoMac(fields: Record<string, string>, salt: string): string {
  const keys = Object.keys(fields)
    .filter((k) => k !== "mac")
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  return createHmac("sha1", salt)
    .update(keys.map((k) => fields[k]).join("|"))
    .digest("hex");
}

export async function startFakeInstamojo(): Promise<FakeInstamojo> {
  const clients = new Map<string, Client>();
  const issued = new Map<string, { client: string; expired: boolean }>();
  let baseUrl = "";

  const client = (id: string): Client => {
    let c = clients.get(id);
    if (!c) {
      c = {
        faults: [],
        calls: {
          token: 0,
          create_request: 0,
          list_requests: 0,
          get_request: 0,
          get_payment: 0,
          create_refund: 0,
          get_refund: 0,
        },
        requests: new Map(),
        payments: new Map(),
        refunds: new Map(),
        tokens: [],
        forms: [],
      };
      clients.set(id, c);
    }
    return c;
  };

  const requestView = (r: PaymentRequestRecord, withPayments: boolean) => ({
    id: r.id,
    user: `${baseUrl}/v2/users/fake-user/`,
    phone: r.fields.phone ? `+91${r.fields.phone}` : null,
    email: r.fields.email ?? "",
    buyer_name: r.fields.buyer_name ?? "",
    amount: rupees(r.amountPaise),
    purpose: r.fields.purpose,
    status: r.status,
    send_sms: bool(r.fields.send_sms) ?? false,
    send_email: bool(r.fields.send_email) ?? false,
    sms_status: null,
    email_status: null,
    shorturl: null,
    longurl: `${baseUrl}/@fake/${r.id}`,
    redirect_url: r.fields.redirect_url ?? "",
    webhook: r.fields.webhook ?? "",
    scheduled_at: null,
    expires_at: r.fields.expires_at ?? null,
    allow_repeated_payments: bool(r.fields.allow_repeated_payments) ?? true,
    mark_fulfilled: true,
    customer_id: null,
    created_at: r.created_at,
    modified_at: r.created_at,
    resource_uri: `${baseUrl}/v2/payment_requests/${r.id}/`,
    remarks: null,
    ...(withPayments ? { payments: r.payments.map((p) => `${baseUrl}/v2/payments/${p}/`) } : {}),
  });

  const paymentView = (c: Client, p: PaymentRecord) => {
    const r = c.requests.get(p.requestId);
    return {
      id: p.id,
      title: r?.fields.purpose ?? "",
      payment_type: `${baseUrl}/v2/payment_types/payment-request/`,
      payment_request: `${baseUrl}/v2/payment_requests/${p.requestId}/`,
      status: p.status,
      link: null,
      product: null,
      seller: `${baseUrl}/v2/users/fake-user/`,
      currency: "INR",
      amount: rupees(p.amountPaise),
      name: r?.fields.buyer_name ?? "",
      email: r?.fields.email ?? "",
      phone: r?.fields.phone ? `+91${r.fields.phone}` : "",
      payout: null,
      fees: rupees(Math.round(p.amountPaise * 0.02)),
      total_taxes: "0.00",
      cases: [],
      affiliate_id: null,
      variants: [],
      resource_uri: `${baseUrl}/v2/payments/${p.id}/`,
      instrument_type: p.instrumentType,
      failure:
        p.status === false ? { reason: "BANK_DECLINED", message: "Declined by the bank" } : null,
      created_at: p.created_at,
      tax_invoice_id: "",
    };
  };

  const refundView = (r: RefundRecord) => ({
    id: r.id,
    payment_id: r.paymentId,
    status: r.status,
    type: r.type,
    body: r.body,
    refund_amount: rupees(r.amountPaise),
    total_amount: rupees(r.amountPaise),
    created_at: r.created_at,
  });

  /** The queued fault for op, consumed; undefined when none. */
  function takeFault(c: Client, op: FakeInstamojoOp): Fault | undefined {
    const f = c.faults.find((x) => x.op === op && x.times !== 0);
    if (f && f.times > 0) f.times--;
    return f;
  }

  async function answerFault(f: Fault, res: ServerResponse) {
    switch (f.mode) {
      case "server_error":
        return reply(res, 500, { success: false, message: "Internal Server Error" });
      case "hang":
        await new Promise((r) => setTimeout(r, f.hangMs));
        return reply(res, 504, { success: false, message: "Gateway Timeout" });
      case "token_expired":
        return reply(res, 401, { success: false, message: "Token has expired" });
      case "success_false":
        return reply(res, 200, { success: false, message: "Something went wrong" });
      case "unreadable":
        return reply(res, 200, undefined, "<html>maintenance</html>");
      case "missing_fields":
        return reply(res, 200, {});
      case "rate_limited":
        return reply(res, 429, { success: false, message: "Too many requests" });
    }
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    const id = form.get("client_id") ?? "";
    if (form.get("grant_type") !== "client_credentials") {
      return reply(res, 400, { error: "unsupported_grant_type" });
    }
    if (!id || !form.get("client_secret") || id.startsWith("bad")) {
      return reply(res, 401, { error: "invalid_client" });
    }
    const c = client(id);
    c.calls.token++;
    const f = takeFault(c, "token");
    if (f) return answerFault(f, res);
    const accessToken = `fake-im-${randomBytes(24).toString("base64url")}`;
    issued.set(accessToken, { client: id, expired: false });
    c.tokens.push(accessToken);
    return reply(res, 200, {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: 36000,
      scope: "read write",
    });
  }

  function authorise(req: IncomingMessage, res: ServerResponse, op: FakeInstamojoOp) {
    const auth = req.headers.authorization ?? "";
    const t = auth.startsWith("Bearer ") ? issued.get(auth.slice(7)) : undefined;
    if (t) client(t.client).calls[op]++;
    if (!t || t.expired) {
      reply(res, 401, { success: false, message: "Invalid token or token expired" });
      return undefined;
    }
    return client(t.client);
  }

  /** The operation's own answer: [status, body]. */
  function perform(
    c: Client,
    op: FakeInstamojoOp,
    id: string,
    form: URLSearchParams,
    url: URL,
  ): [number, unknown] {
    const notFound: [number, unknown] = [404, { success: false, message: "Not found." }];
    if (op === "create_request") {
      const fields = Object.fromEntries(form);
      const amount = paiseOf(fields.amount);
      if (amount === null) return [400, refused("amount", "Enter a valid amount.")];
      if (amount < 900) return [400, refused("amount", "Amount can't be less than INR 9.00")];
      if (amount > 200_000_00) return [400, refused("amount", "Amount can't exceed 200000")];
      if (!fields.purpose) return [400, refused("purpose", "This field is required.")];
      if (fields.purpose.length > 30) {
        return [400, refused("purpose", "Ensure this field has no more than 30 characters.")];
      }
      if (fields.phone && !/^\d{10}$/.test(fields.phone) && !/^\+\d{8,15}$/.test(fields.phone)) {
        return [400, refused("phone", "Enter a valid phone number.")];
      }
      for (const key of ["send_email", "send_sms", "allow_repeated_payments"]) {
        if (fields[key] !== undefined && bool(fields[key]) === undefined) {
          return [400, refused(key, "Must be a valid boolean.")];
        }
      }
      const r: PaymentRequestRecord = {
        id: randomBytes(16).toString("hex"),
        amountPaise: amount,
        fields,
        status: "Pending",
        payments: [],
        created_at: new Date().toISOString(),
      };
      c.requests.set(r.id, r);
      return [201, requestView(r, false)];
    }
    if (op === "list_requests") {
      const limit = Math.max(1, Math.min(100, Number(url.searchParams.get("limit") ?? 50) || 50));
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
      const all = [...c.requests.values()];
      return [
        200,
        {
          payment_requests: all
            .slice((page - 1) * limit, page * limit)
            .map((r) => requestView(r, false)),
        },
      ];
    }
    if (op === "get_request") {
      const r = c.requests.get(id);
      return r ? [200, requestView(r, true)] : notFound;
    }
    if (op === "get_payment") {
      const p = c.payments.get(id);
      return p ? [200, paymentView(c, p)] : notFound;
    }
    if (op === "get_refund") {
      const r = c.refunds.get(id);
      return r ? [200, refundView(r)] : notFound;
    }
    // create_refund
    const p = c.payments.get(id);
    if (!p) return notFound;
    const tx = form.get("transaction_id") || null;
    const existing = [...c.refunds.values()].filter((r) => r.paymentId === p.id);
    const replay = tx ? existing.find((r) => r.transactionId === tx) : undefined;
    if (replay) return [200, { success: true, refund: refundView(replay) }];
    if (p.status !== true) return [400, refused("payment", "Payment is not successful.")];
    const type = form.get("type") ?? "";
    if (!REFUND_TYPES.includes(type)) return [400, refused("type", "Invalid refund type.")];
    if (!form.get("body")) return [400, refused("body", "This field is required.")];
    if (!tx && existing.length > 0) {
      return [400, refused("transaction_id", "Transaction id is required.")];
    }
    const refunded = existing
      .filter((r) => !/fail|reject|cancel/i.test(r.status))
      .reduce((sum, r) => sum + r.amountPaise, 0);
    const left = p.amountPaise - refunded;
    const requested = form.get("refund_amount");
    const amount = requested ? paiseOf(requested) : left;
    if (amount === null || amount <= 0) {
      return [400, refused("refund_amount", "Enter a valid amount.")];
    }
    if (amount > left) {
      return [400, refused("refund_amount", "Refund amount exceeds the refundable amount.")];
    }
    const r: RefundRecord = {
      id: `C${randomBytes(5).toString("hex").toUpperCase().slice(0, 9)}`,
      paymentId: p.id,
      transactionId: tx,
      type,
      body: form.get("body") ?? "",
      amountPaise: amount,
      status: "Refund Initiated",
      created_at: new Date().toISOString(),
    };
    c.refunds.set(r.id, r);
    return [201, { success: true, refund: refundView(r) }];
  }

  async function api(req: IncomingMessage, url: URL, res: ServerResponse) {
    const routes: [string, RegExp, FakeInstamojoOp][] = [
      ["POST", /^\/v2\/payment_requests\/()$/, "create_request"],
      ["GET", /^\/v2\/payment_requests\/()$/, "list_requests"],
      ["GET", /^\/v2\/payment_requests\/([0-9a-f]{32})\/$/, "get_request"],
      ["GET", /^\/v2\/payments\/([^/]+)\/$/, "get_payment"],
      ["POST", /^\/v2\/payments\/([^/]+)\/refund\/$/, "create_refund"],
      ["GET", /^\/v2\/refunds\/([^/]+)\/$/, "get_refund"],
    ];
    let op: FakeInstamojoOp | undefined;
    let id = "";
    for (const [method, pattern, name] of routes) {
      const m = pattern.exec(url.pathname);
      if (m && req.method === method) {
        op = name;
        id = m[1] ?? "";
        break;
      }
    }
    const raw = await readBody(req);
    if (!op) return reply(res, 404, { success: false, message: "Not found." });
    const c = authorise(req, res, op);
    if (!c) return;
    const isPost = req.method === "POST";
    if (
      isPost &&
      !(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")
    ) {
      return reply(res, 400, { success: false, message: "Send a form body." });
    }
    const form = new URLSearchParams(isPost ? raw : "");
    if (isPost) c.forms.push({ op, fields: Object.fromEntries(form) });
    const f = takeFault(c, op);
    if (f && !f.applyFirst) return answerFault(f, res);
    const [status, body] = perform(c, op, id, form, url);
    if (f) return answerFault(f, res);
    return reply(res, status, body);
  }

  async function control(req: IncomingMessage, url: URL, res: ServerResponse) {
    const m = /^\/__control\/clients\/([\w-]{1,80})(?:\/(.+))?$/.exec(url.pathname);
    if (!m?.[1]) return reply(res, 404, { error: "unknown control" });
    const c = client(m[1]);
    const action = m[2] ?? "";
    if (req.method === "GET" && !action) {
      return reply(res, 200, {
        calls: c.calls,
        requests: [...c.requests.values()].map((r) => ({
          ...requestView(r, true),
          sent: r.fields,
        })),
        payments: [...c.payments.values()].map((p) => paymentView(c, p)),
        refunds: [...c.refunds.values()].map((r) => ({
          ...refundView(r),
          transaction_id: r.transactionId,
        })),
        tokens: c.tokens,
        forms: c.forms,
      });
    }
    if (req.method !== "POST") return reply(res, 405, { error: "method" });
    const body = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
    if (action === "faults") {
      c.faults.push({
        op: body.op as FakeInstamojoOp,
        mode: body.mode as FakeInstamojoFaultMode,
        times: (body.times as number | undefined) ?? 1,
        applyFirst: body.applyFirst === true,
        hangMs: (body.hangMs as number | undefined) ?? 30_000,
      });
      return reply(res, 204);
    }
    if (action === "expire-tokens") {
      for (const t of c.tokens) {
        const entry = issued.get(t);
        if (entry) entry.expired = true;
      }
      return reply(res, 204);
    }
    const pay = /^requests\/([0-9a-f]{32})\/pay$/.exec(action);
    if (pay?.[1]) {
      const r = c.requests.get(pay[1]);
      if (!r) return reply(res, 404, { error: "no such request" });
      const outcome = body.outcome as "paid" | "failed" | "initiated";
      const payment: PaymentRecord = {
        id: `MOJO${randomBytes(8).toString("hex").toUpperCase().slice(0, 4)}${randomBytes(6)
          .toString("hex")
          .toUpperCase()
          .replace(/[A-F]/g, "J")}`,
        requestId: r.id,
        status: outcome === "paid" ? true : outcome === "failed" ? false : null,
        amountPaise: r.amountPaise,
        instrumentType:
          outcome === "initiated" ? null : ((body.instrumentType as string | undefined) ?? "UPI"),
        created_at: new Date().toISOString(),
      };
      c.payments.set(payment.id, payment);
      r.payments.push(payment.id);
      if (outcome === "paid") r.status = "Completed";
      const fields: Record<string, string> = {
        amount: rupees(r.amountPaise),
        buyer: r.fields.email ?? "",
        buyer_name: r.fields.buyer_name ?? "",
        buyer_phone: r.fields.phone ? `+91${r.fields.phone}` : "",
        currency: "INR",
        fees: rupees(Math.round(r.amountPaise * 0.02)),
        longurl: `${baseUrl}/@fake/${r.id}`,
        payment_id: payment.id,
        payment_request_id: r.id,
        purpose: r.fields.purpose ?? "",
        shorturl: "",
        status: outcome === "paid" ? "Credit" : "Failed",
      };
      const salt = String(body.salt ?? "");
      return reply(res, 200, {
        payment: paymentView(c, payment),
        webhook: { ...fields, mac: fakeInstamojoMac(fields, salt) },
      });
    }
    const refund = /^refunds\/([\w-]+)\/status$/.exec(action);
    if (refund?.[1]) {
      const r = c.refunds.get(refund[1]);
      if (!r) return reply(res, 404, { error: "no such refund" });
      r.status = String(body.status);
      return reply(res, 204);
    }
    return reply(res, 404, { error: "unknown control" });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-instamojo");
    let work: Promise<void>;
    if (url.pathname === "/oauth2/token/" && req.method === "POST") work = token(req, res);
    else if (url.pathname.startsWith("/v2/")) work = api(req, url, res);
    else if (url.pathname.startsWith("/__control/")) work = control(req, url, res);
    else work = Promise.resolve(reply(res, 404, { success: false, message: "Not found." }));
    work.catch(() => reply(res, 500, { success: false, message: "fake failed" }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    url: baseUrl,
    close: () =>
      new Promise((ok) => {
        // A test that timed out on a hanging answer may leave its request open.
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
