/**
 * Schema-driven fuzzing of every operation in /openapi.json, anonymous and as each role.
 *
 * Requests are generated with fast-check from the document's JSON Schemas (zod-fast-check does
 * not support zod 4): valid values, boundary values and hostile ones (wrong types, missing and
 * extra keys, huge and odd strings, malformed JSON, wrong content types, odd path params, query
 * strings and headers). For each operation and caller: a sweep of the known-good request with
 * one field at a time at its most hostile (deterministic), the known-good request, then RUNS
 * generated ones. Whatever the request, the API must never answer 5xx, every 4xx must be a
 * problem+json body whose `code`, `status` and `title` agree with the error catalog, and no
 * request shape may take a caller further than its role goes (as probed from the app).
 *
 * Deterministic by default (fixed seed; about 400 requests). Longer or other runs locally:
 *   FUZZ_RUNS=40 FUZZ_SEED=7 npx vitest run test/app/fuzz.test.ts
 * A failure prints the request and the operation's seed; the same FUZZ_SEED and FUZZ_RUNS
 * replay it.
 *
 * The generator and the judging live in test/support/fuzz/ (generate.ts, judge.ts), shared with
 * `npm run fuzz` (scripts/fuzz.ts), which runs the same fuzzer over HTTP against `npm run dev`.
 * This file keeps what only the harness can do: identities and fixtures minted in the database.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCertificateCode, newCertificateCode } from "../../src/lib/certificates/code";
import { unsubscribeToken } from "../../src/lib/notifications/unsubscribe";
import { hashPassword } from "../../src/lib/password";
import { generateOpaqueToken, hashToken } from "../../src/lib/tokens";
import { TURNSTILE_DUMMY_TOKEN } from "../../src/providers/turnstile";
import { WEBHOOK_SECRETS } from "../inbox/support";
import { insertBatch, insertCourse } from "../support/catalogue";
import { adminQuery } from "../support/database";
import {
  accessProbe,
  CALLERS,
  type Caller,
  catalogueHints,
  type FuzzRequest,
  freshEmail,
  type Gen,
  type Hints,
  type OpenApiDoc,
  type Operation,
  operations,
  passphrase,
  profileHints,
  requestArbs,
  SESSION_ENDING,
  seedFor,
  sessionHints,
  sweep,
  sweeper,
  toWire,
} from "../support/fuzz/generate";
import { clip, describeRequest, judge, type Outcome } from "../support/fuzz/judge";
import { Harness } from "../support/harness";
import { DEFAULT_PASSWORD, mintAccessToken, type Role, type TestUser } from "../support/identity";
import { insertEnrolment, insertSession } from "../support/learning";

// ---------------------------------------------------------------------------------------------
// Knobs (vitest.config.ts passes FUZZ_RUNS / FUZZ_SEED from the shell as bindings)

const knobs = env as unknown as Record<string, string | undefined>;
/** Requests per operation and caller, the known-good one included (plus the sweep). */
const RUNS = Number.parseInt(knobs.TEST_FUZZ_RUNS ?? "", 10) || 3;
const SEED = Number.parseInt(knobs.TEST_FUZZ_SEED ?? "", 10) || 20_261_128;
/** A caller's identity is replaced after this many requests (session and per-user limits). */
const ROTATE_EVERY = 8;
const TIMEOUT_MS = Math.max(90_000, RUNS * 6_000);

// ---------------------------------------------------------------------------------------------
// Callers and fixtures

let passwordHash: Promise<string> | undefined;

/**
 * Signed-in users of one role, minted in one round trip (users, sessions, access tokens). Marked
 * active just now, so their first request does not also stamp the activity column.
 */
async function mintUsers(h: Harness, role: Role, n: number): Promise<TestUser[]> {
  passwordHash ??= hashPassword(DEFAULT_PASSWORD);
  const emails = Array.from({ length: n }, () => `fuzz-${crypto.randomUUID()}@example.in`);
  const rows = await adminQuery<{ id: string; email: string; ver: number; sid: string }>(
    `WITH u AS (
       INSERT INTO users (email, password_hash, full_name, role, status, email_verified_at,
                          last_active_at)
       SELECT e, $2, 'Fuzz Caller', $3, 'active', now(), now() FROM unnest($1::text[]) AS e
       RETURNING id, email, token_version
     ), s AS (
       INSERT INTO sessions (user_id, expires_at)
       SELECT id, now() + interval '1 day' FROM u RETURNING id, user_id
     )
     SELECT u.id, u.email, u.token_version AS ver, s.id AS sid FROM u JOIN s ON s.user_id = u.id`,
    [emails, await passwordHash, role],
    h.database,
  );
  return Promise.all(
    rows.map(async (row) => {
      const claims = { sub: row.id, role, sid: row.sid, ver: row.ver };
      const accessToken = await mintAccessToken(h.env, claims);
      return {
        id: row.id,
        email: row.email,
        password: DEFAULT_PASSWORD,
        role,
        sessionId: row.sid,
        accessToken,
        auth: { Authorization: `Bearer ${accessToken}` },
      };
    }),
  );
}

/**
 * The signed-in caller. Each identity serves a few requests (session and per-user limits stay
 * far away) and is replaced at once when a request ended its session (logout-all, password
 * change).
 */
class Actor {
  private spare: TestUser[] = [];
  private user: TestUser | undefined;
  private used = 0;
  private ended = false;

  constructor(
    private readonly h: Harness,
    readonly caller: Caller,
    /** Identities minted with the fixtures (e.g. students already holding seats), used first. */
    premade: TestUser[] = [],
  ) {
    this.spare = [...premade];
  }

  async token(): Promise<string | undefined> {
    if (this.caller === "anonymous") return undefined;
    if (!this.user || this.ended || this.used >= ROTATE_EVERY) {
      if (this.spare.length === 0) this.spare = await mintUsers(this.h, this.caller, 16);
      this.user = this.spare.pop();
      this.used = 0;
      this.ended = false;
    }
    this.used++;
    return this.user?.accessToken;
  }

  /** The identity the last `token()` handed out. */
  get current(): TestUser | undefined {
    return this.user;
  }

  /** Whether the current identity's session may have ended (then a 401 is expected). */
  get sessionMayHaveEnded() {
    return this.ended;
  }

  /** Notes a 2xx from an operation that ends the caller's session. */
  endedBy(opId: string, status: number) {
    if (status < 300 && SESSION_ENDING.has(opId)) this.ended = true;
  }
}

/**
 * Live data for valid requests to act on, inserted directly (one round trip): a victim account
 * (unverified, with sessions and refresh tokens, password-reset and verification tokens, and a
 * verified admin request), an applicant (a pending admin request and its token) and a candidate
 * (another verified request: one to approve, one to reject).
 */
async function createFixtures(h: Harness, students: TestUser[]): Promise<Hints> {
  passwordHash ??= hashPassword(DEFAULT_PASSWORD);
  const victimEmail = `victim-${crypto.randomUUID()}@example.in`;
  const applicantEmail = `applicant-${crypto.randomUUID()}@example.in`;
  const candidateEmail = `candidate-${crypto.randomUUID()}@example.in`;
  const refreshTokens = Array.from({ length: 10 }, () => generateOpaqueToken());
  const oneTime = ["email_verification", "password_reset", "admin_request_verification"].flatMap(
    (purpose) => [0, 1].map(() => ({ purpose, token: generateOpaqueToken() })),
  );
  const tokensFor = (purpose: string) =>
    fc.constantFrom(...oneTime.filter((o) => o.purpose === purpose).map((o) => o.token));
  const [row] = await adminQuery<{
    victim: string;
    applicant: string;
    verified: string;
    verified2: string;
    pending: string;
  }>(
    `WITH v AS (
       INSERT INTO users (email, password_hash, full_name, role, status, email_verified_at)
       VALUES ($1, $3, 'Fuzz Victim', 'student', 'active', NULL),
              ($2, $3, 'Fuzz Applicant', 'student', 'active', now()),
              ($7, $3, 'Fuzz Candidate', 'student', 'active', now())
       RETURNING id, email
     ), victim AS (SELECT id FROM v WHERE email = $1),
     applicant AS (SELECT id FROM v WHERE email = $2),
     candidate AS (SELECT id FROM v WHERE email = $7),
     s AS (
       INSERT INTO sessions (user_id, expires_at)
       SELECT victim.id, now() + interval '1 day' FROM victim, unnest($4::text[])
       RETURNING id
     ), r AS (
       INSERT INTO refresh_tokens (session_id, user_id, token_hash, expires_at)
       SELECT s.id, victim.id, t.h, now() + interval '1 day'
       FROM victim,
            (SELECT id, row_number() OVER () AS n FROM s) AS s
            JOIN (SELECT h, row_number() OVER () AS n FROM unnest($4::text[]) AS h) AS t USING (n)
     ), verified AS (
       INSERT INTO admin_requests (user_id, phone, reason, status, verified_at)
       SELECT id, '+919876543210', 'Runs the Pune centre', 'verified', now() FROM victim
       RETURNING id
     ), verified2 AS (
       INSERT INTO admin_requests (user_id, phone, reason, status, verified_at)
       SELECT id, '+919876500000', 'Runs the Indore centre', 'verified', now() FROM candidate
       RETURNING id
     ), pending AS (
       INSERT INTO admin_requests (user_id, phone, reason)
       SELECT id, '+919812345678', 'Runs the Nagpur centre' FROM applicant
       RETURNING id
     ), o AS (
       INSERT INTO one_time_tokens (user_id, purpose, token_hash, subject_id, expires_at)
       SELECT CASE WHEN t.p = 'admin_request_verification' THEN applicant.id ELSE victim.id END,
              t.p, t.h,
              CASE WHEN t.p = 'admin_request_verification' THEN pending.id END,
              now() + interval '1 hour'
       FROM victim, applicant, pending, unnest($5::text[], $6::text[]) AS t(p, h)
     )
     SELECT victim.id AS victim, applicant.id AS applicant, verified.id AS verified,
            verified2.id AS verified2, pending.id AS pending
     FROM victim, applicant, verified, verified2, pending`,
    [
      victimEmail,
      applicantEmail,
      await passwordHash,
      await Promise.all(refreshTokens.map(hashToken)),
      oneTime.map((o) => o.purpose),
      await Promise.all(oneTime.map((o) => hashToken(o.token))),
      candidateEmail,
    ],
    h.database,
  );
  if (!row) throw new Error("fixture insert failed");
  const users = fc.constantFrom(row.victim, row.applicant);
  return {
    id: fc.constantFrom(row.victim, row.applicant, row.verified, row.pending),
    "getUser:id": users,
    "updateUserStatus:id": users,
    "approveAdminRequest:id": fc.constantFrom(row.verified, row.pending),
    "rejectAdminRequest:id": fc.constantFrom(row.verified2, row.pending),
    identity: fc.constantFrom(`ip:${h.ip}`, `user:${row.victim}`),
    refreshToken: fc.constantFrom(...refreshTokens),
    token: fc.constantFrom(...oneTime.map((o) => o.token), ...refreshTokens),
    "verifyEmail:token": tokensFor("email_verification"),
    "resetPassword:token": tokensFor("password_reset"),
    "verifyAdminRequest:token": tokensFor("admin_request_verification"),
    email: fc.oneof(fc.constant(victimEmail), freshEmail),
    "signup:email": freshEmail,
    // A new reset link voids the outstanding ones: keep the fixture's reset tokens alive.
    "forgotPassword:email": freshEmail,
    "login:email": fc.constant(victimEmail),
    "login:password": fc.constant(DEFAULT_PASSWORD),
    password: passphrase,
    newPassword: passphrase,
    currentPassword: fc.constant(DEFAULT_PASSWORD),
    ...profileHints,
    ...(await catalogueFixtures(h)),
    ...(await sessionFixtures(h)),
    ...(await learningFixtures(h, students)),
    ...(await paymentFixtures(h, students)),
    ...(await certificateFixtures(h)),
    ...(await leadFixtures(h)),
    ...(await inboxFixtures(h)),
    ...ticketHints(),
  };
}

/**
 * Support tickets belong to one student, and the student caller changes identity every few
 * requests: the hints name placeholder ids that `OwnTickets` turns, per request, into the
 * current caller's own open ticket, solved ticket or attachment (made on first use). Admins get
 * those of a student of their own.
 */
const MY_TICKET = "00000000-0000-4000-8000-00000000f001";
const MY_SOLVED_TICKET = "00000000-0000-4000-8000-00000000f002";
const MY_ATTACHMENT = "00000000-0000-4000-8000-00000000f003";

class OwnTickets {
  private readonly byUser = new Map<string, Promise<Record<string, string>>>();
  private owner: Promise<TestUser | undefined> | undefined;

  constructor(private readonly h: Harness) {}

  async personalise(req: FuzzRequest, caller: Caller, user: TestUser | undefined) {
    if (![MY_TICKET, MY_SOLVED_TICKET, MY_ATTACHMENT].some((id) => req.path.includes(id))) {
      return req;
    }
    let owner = user;
    if (caller !== "student") {
      this.owner ??= mintUsers(this.h, "student", 1).then(([u]) => u);
      owner = await this.owner;
    }
    if (!owner) return req;
    let ids = this.byUser.get(owner.id);
    if (!ids) {
      ids = this.create(owner.id);
      this.byUser.set(owner.id, ids);
    }
    const own = await ids;
    let path = req.path;
    for (const [placeholder, id] of Object.entries(own)) path = path.replaceAll(placeholder, id);
    return { ...req, path };
  }

  private async create(studentId: string): Promise<Record<string, string>> {
    const db = this.h.database;
    const rows = await adminQuery<{ id: string; status: string }>(
      `WITH s AS (
         -- Numbers of a year no real ticket has (1999), after those already taken.
         SELECT st, (row_number() OVER ())::int
                    + (SELECT coalesce(max(seq), 0) FROM tickets WHERE year = 1999) AS seq
           FROM unnest(ARRAY['open', 'solved']) AS st
       ), t AS (
         INSERT INTO tickets (number, year, seq, student_id, subject, category, status, solved_at)
         SELECT format('TKT-1999-%s', lpad(seq::text, 6, '0')), 1999, seq, $1, 'Fuzz ticket',
                'other', st, CASE WHEN st = 'solved' THEN now() END
           FROM s
         RETURNING id, status, created_at
       ), e AS (
         INSERT INTO ticket_events (ticket_id, kind, data, created_at)
         SELECT id, 'created', '{}', created_at FROM t
       )
       SELECT id, status FROM t`,
      [studentId],
      db,
    );
    const open = rows.find((r) => r.status === "open")?.id ?? "";
    const solved = rows.find((r) => r.status === "solved")?.id ?? "";
    const pdf = new TextEncoder().encode("%PDF-1.7\n%fuzz\n%%EOF\n");
    const [attachment] = await adminQuery<{ id: string; object_key: string }>(
      `INSERT INTO ticket_attachments (ticket_id, uploaded_by, file_name, content_type,
                                       size_bytes, sha256, object_key)
       VALUES ($1, $2, 'fuzz.pdf', 'application/pdf', $3, 'x', 'fuzz/' || gen_random_uuid())
       RETURNING id, object_key`,
      [open, studentId, pdf.byteLength],
      db,
    );
    if (attachment) await this.h.env.FILES.put(attachment.object_key, pdf);
    return {
      [MY_TICKET]: open,
      [MY_SOLVED_TICKET]: solved,
      [MY_ATTACHMENT]: attachment?.id ?? "",
    };
  }
}

function ticketHints(): Hints {
  const mine = fc.constant(MY_TICKET);
  return {
    "getTicket:id": fc.constantFrom(MY_TICKET, MY_SOLVED_TICKET),
    "replyToTicket:id": mine,
    "closeTicket:id": fc.constantFrom(MY_TICKET, MY_SOLVED_TICKET),
    "rateTicket:id": fc.constant(MY_SOLVED_TICKET),
    "uploadTicketAttachment:id": mine,
    "getAttachment:id": fc.constant(MY_ATTACHMENT),
    "getAdminTicket:id": fc.constantFrom(MY_TICKET, MY_SOLVED_TICKET),
    "updateTicket:id": mine,
    "updateTicket:status": fc.constantFrom("pending", "on_hold", "solved"),
    "addTicketMessage:id": mine,
    // `category` alone is a course's (catalogue hints).
    "createTicket:category": fc.constantFrom("payment", "class", "recording", "other"),
    // Left out: a random id is never the caller's own (422, tested in test/tickets).
    "createTicket:enrolmentId": fc.constant(undefined),
    "createTicket:paymentId": fc.constant(undefined),
    "listTickets:category": fc.constantFrom("payment", "other"),
    "getTicketStats:from": fc.constant("2026-01-01T00:00:00Z"),
    "getTicketStats:to": fc.constantFrom("2099-01-01T00:00:00Z", "2026-12-31T18:30:00Z"),
  };
}

/**
 * Leads to read, move and convert (several: a run converts or loses some), an admin to assign
 * them to, and what the public form needs to get past Turnstile: the dev provider's token.
 */
async function leadFixtures(h: Harness): Promise<Hints> {
  const emails = Array.from({ length: 6 }, () => `lead-${crypto.randomUUID()}@example.in`);
  const rows = await adminQuery<{ id: string }>(
    `INSERT INTO contacts (name, email, lead_status, source)
     SELECT 'Fuzz Lead', e, 'new', 'website' FROM unnest($1::text[]) AS e RETURNING id`,
    [emails],
    h.database,
  );
  const [assignee] = await mintUsers(h, "admin", 1);
  const ids = fc.constantFrom(...rows.map((r) => r.id));
  const unsubscribe = await unsubscribeToken(h.env.JWT_SECRET, emails[0] ?? "x@example.in");
  // Invitations of accounts made from leads (one per token: accepting one uses it up).
  const invitations = Array.from({ length: 4 }, () => generateOpaqueToken());
  await adminQuery(
    `WITH u AS (
       INSERT INTO users (email, password_hash, full_name, role)
       SELECT 'invited-' || gen_random_uuid() || '@example.in', $2, 'Fuzz Invitee', 'student'
         FROM unnest($1::text[])
       RETURNING id
     )
     INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at)
     SELECT u.id, 'account_invitation', t.h, now() + interval '7 days'
       FROM (SELECT id, row_number() OVER () AS n FROM u) AS u
       JOIN (SELECT h, row_number() OVER () AS n FROM unnest($1::text[]) AS h) AS t USING (n)`,
    [await Promise.all(invitations.map(hashToken)), await passwordHash],
    h.database,
  );
  return {
    "acceptInvitation:token": fc.constantFrom(...invitations),
    "listLeads:from": fc.constantFrom("2026-03-01", "2026-03-01T00:00:00+05:30"),
    "listLeads:to": fc.constantFrom("2099-01-01", "2099-01-01T00:00:00Z"),
    "createLead:turnstileToken": fc.constant(TURNSTILE_DUMMY_TOKEN),
    "createLead:phone": fc.integer({ min: 9_800_000_000, max: 9_899_999_999 }).map(String),
    "createLead:email": freshEmail,
    "getLead:id": ids,
    "updateLead:id": ids,
    "updateLead:status": fc.constant("lost"),
    "updateLead:lostReason": fc.constant("Chose another institute"),
    "updateLead:assigneeId": fc.constant(assignee?.id ?? null),
    "convertLead:id": ids,
    // A marketing email's one-click unsubscribe link (src/lib/notifications/unsubscribe.ts).
    "unsubscribePage:token": fc.constant(unsubscribe),
    "unsubscribe:token": fc.constant(unsubscribe),
  };
}

/**
 * CRM inbox: contacts with an email and a phone to open threads with, email threads to reply on
 * (no WhatsApp window to miss), an active admin to assign, a future snooze, a word to search,
 * and the WhatsApp subscription check with the configured verify token.
 */
async function inboxFixtures(h: Harness): Promise<Hints> {
  const rows = await adminQuery<{ contact: string; conversation: string }>(
    `WITH c AS (
       INSERT INTO contacts (name, email, phone, source, lead_status)
       SELECT 'Fuzz Lead', 'fuzz-lead-' || g || '-' || md5(random()::text) || '@example.in',
              '+9198' || lpad((floor(random() * 1e8))::bigint::text, 8, '0'), 'admin', 'new'
         FROM generate_series(1, 4) AS g
       RETURNING id, email
     ), t AS (
       INSERT INTO conversations (contact_id, channel, address, unread_count, last_inbound_at)
       SELECT id, 'email', email, 1, now() FROM c RETURNING id, contact_id
     ), m AS (
       INSERT INTO messages (conversation_id, direction, body, status)
       SELECT id, 'inbound', 'Fuzz question about batch timings and fees', 'received' FROM t
     )
     SELECT t.contact_id AS contact, t.id AS conversation FROM t`,
    [],
    h.database,
  );
  const [assignee] = await mintUsers(h, "admin", 1);
  const conversationIds = fc.constantFrom(...rows.map((r) => r.conversation));
  return {
    "openConversation:contactId": fc.constantFrom(...rows.map((r) => r.contact)),
    "updateConversation:id": conversationIds,
    "updateConversation:assigneeId": fc.constantFrom(assignee?.id ?? null, null),
    "updateConversation:snoozedUntil": fc.constantFrom(
      new Date(Date.now() + 86_400_000).toISOString(),
      null,
    ),
    "listConversationMessages:id": conversationIds,
    "sendConversationMessage:id": conversationIds,
    "sendConversationMessage:text": fc.constantFrom("Thanks, the batch starts Monday."),
    "searchMessages:q": fc.constantFrom("timings", "batch fees", '"batch timings"'),
    "verifyWhatsappWebhook:hub.mode": fc.constant("subscribe"),
    "verifyWhatsappWebhook:hub.verify_token": fc.constant(WEBHOOK_SECRETS.WHATSAPP_VERIFY_TOKEN),
    "verifyWhatsappWebhook:hub.challenge": fc.constant("1158201444"),
  };
}

/**
 * A paid payment for the admins' payment views to find (the detail, a search, a day to
 * reconcile), and windows in order for the list and the export (at most 366 days).
 */
async function paymentFixtures(h: Harness, students: TestUser[]): Promise<Hints> {
  const db = h.database;
  const course = await insertCourse(db);
  const batch = await insertBatch(db, course.id);
  const [buyer] = await mintUsers(h, "student", 1);
  if (!buyer) throw new Error("payment fixture: no buyer");
  const enrolment = await insertEnrolment(db, buyer.id, batch.id, { status: "active" });
  const requestId = crypto.randomUUID().replaceAll("-", "");
  const [payment] = await adminQuery<{ id: string }>(
    `INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at, created_at)
     VALUES ($1, $2, 149900, 'instamojo', now() + interval '30 minutes', '2026-03-31T06:00:00Z')
     RETURNING id`,
    [enrolment.id, buyer.id],
    db,
  );
  if (!payment) throw new Error("payment fixture insert failed");
  // The state machine moves one step per update (payments_guard).
  await adminQuery(
    "UPDATE payments SET status = 'pending', provider_request_id = $2 WHERE id = $1",
    [payment.id, requestId],
    db,
  );
  await adminQuery(
    `UPDATE payments SET status = 'paid', provider_payment_id = $2,
       paid_at = '2026-03-31T06:05:00Z' WHERE id = $1`,
    [payment.id, `MOJO${requestId.slice(0, 14).toUpperCase()}`],
    db,
  );
  // Invoices of the buyer and of the student caller's first identities (the actor starts with
  // the first and moves on when a run ends its session), for the PDF: one payment each.
  const invoiced = await insertBatch(db, course.id, { capacity: 10_000 });
  const owned = [{ owner: buyer.id, paymentId: payment.id }];
  for (const s of students.slice(0, 2)) {
    const seat = await insertEnrolment(db, s.id, invoiced.id, { status: "active" });
    const [p] = await adminQuery<{ id: string }>(
      `INSERT INTO payments (enrolment_id, user_id, amount_paise, provider, expires_at)
       VALUES ($1, $2, 149900, 'instamojo', now()) RETURNING id`,
      [seat.id, s.id],
      db,
    );
    if (!p) throw new Error("payment fixture insert failed");
    await adminQuery("UPDATE payments SET status = 'expired' WHERE id = $1", [p.id], db);
    owned.push({ owner: s.id, paymentId: p.id });
  }
  const invoices = await adminQuery<{ id: string }>(
    `INSERT INTO invoices (kind, number, financial_year, serial, payment_id, user_id, buyer_name,
       buyer_email, supplier_name, supplier_address, supplier_gstin, place_of_supply,
       description, rate_bps, taxable_paise, cgst_paise, sgst_paise, igst_paise, total_paise)
     SELECT 'invoice', 'FZ/' || left(md5(random()::text), 12), '2025-26', $3::int + n, pay, owner,
            'Fuzz', 'fuzz@example.in', 'Supplier', 'Address', '29AABCD1234E1Z5', '29',
            'Online coaching', 1800, 127034, 11433, 11433, 0, 149900
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS o(pay, owner, n)
     RETURNING id`,
    [owned.map((o) => o.paymentId), owned.map((o) => o.owner), Math.floor(Math.random() * 1e8)],
    db,
  );
  // Seats held for payment by the student caller's first identities, to check out.
  const paidCourse = await insertCourse(db, { pricePaise: 49_900 });
  const paidBatch = await insertBatch(db, paidCourse.id);
  const holds: string[] = [];
  for (const s of students.slice(0, 2)) {
    holds.push(
      (
        await insertEnrolment(db, s.id, paidBatch.id, {
          status: "pending_payment",
          pricePaise: 49_900,
        })
      ).id,
    );
  }
  return {
    "getInvoicePdf:id": fc.constantFrom(...invoices.map((i) => `${i.id}.pdf`)),
    "startCheckout:id": holds.length ? fc.constantFrom(...holds) : fc.constant(enrolment.id),
    "createRefund:id": fc.constantFrom(...(await paidThroughInstamojo(h, 3))),
    "getAdminPayment:id": fc.constant(payment.id),
    "listAdminPayments:from": fc.constantFrom("2026-03-01", "2026-03-01T00:00:00+05:30"),
    "listAdminPayments:to": fc.constantFrom("2026-04-01", "2099-01-01T00:00:00Z"),
    "listAdminPayments:q": fc.constantFrom(payment.id, requestId, buyer.email, "fuzz"),
    "exportAdminPayments:from": fc.constant("2026-03-31"),
    "exportAdminPayments:to": fc.constantFrom("2026-04-01", "2027-03-31T00:00:00Z"),
    "getPaymentReconciliation:date": fc.constantFrom("2026-03-31", "2026-04-01"),
  };
}

/**
 * A completed batch: certificates to verify, fetch and revoke (several: a run revokes some),
 * the batch to issue for, and enrolments without a certificate for manual issue.
 */
async function certificateFixtures(h: Harness): Promise<Hints> {
  const db = h.database;
  const course = await insertCourse(db);
  const batch = await insertBatch(db, course.id, { status: "completed" });
  const holders = await mintUsers(h, "student", 8);
  const enrolments: string[] = [];
  for (const s of holders) enrolments.push((await insertEnrolment(db, s.id, batch.id)).id);
  const certified = enrolments.slice(0, 4);
  const rows = await adminQuery<{ id: string; code: string }>(
    `INSERT INTO certificates (code, enrolment_id, user_id, batch_id, course_id, printed_name,
       course_title, batch_name, start_date, end_date, attendance_pct, issuer_name, source)
     SELECT c.code, e.id, e.user_id, e.batch_id, $2, 'Fuzz Student', 'Course', 'Batch',
            '2026-01-01', '2026-02-01', 90, 'Issuer', 'rule'
       FROM unnest($1::uuid[], $3::text[]) AS c(enrolment, code)
       JOIN enrolments e ON e.id = c.enrolment
     RETURNING id, code`,
    [certified, course.id, certified.map(() => newCertificateCode())],
    db,
  );
  const codes = rows.map((r) => formatCertificateCode(r.code));
  return {
    "verifyCertificate:code": fc.constantFrom(...codes),
    "getCertificateCredential:code": fc.constantFrom(...codes),
    "getCertificatePdf:file": fc.constantFrom(...codes.map((code) => `${code}.pdf`)),
    "revokeCertificate:id": fc.constantFrom(...rows.map((r) => r.id)),
    "issueBatchCertificates:id": fc.constant(batch.id),
    "issueManualCertificate:enrolmentId": fc.constantFrom(...enrolments.slice(4)),
  };
}

/**
 * Payments paid the whole way through the app and the fake Instamojo (the test bindings'
 * client), so a refund reaches a payment Instamojo knows.
 */
async function paidThroughInstamojo(h: Harness, n: number): Promise<string[]> {
  const course = await insertCourse(h.database, { pricePaise: 29_900 });
  const batch = await insertBatch(h.database, course.id, { capacity: 10_000 });
  const fake = h.env.TEST_FAKE_INSTAMOJO_URL;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const student = await h.asStudent();
    const enrolled = await h.post<unknown, { id: string }>(
      "/v1/enrolments",
      { batchId: batch.id },
      { headers: student.auth },
    );
    const started = await h.post<unknown, { paymentId: string }>(
      `/v1/enrolments/${enrolled.body.id}/payments`,
      {},
      { headers: { ...student.auth, "Idempotency-Key": crypto.randomUUID() } },
    );
    const [row] = await adminQuery<{ request: string }>(
      "SELECT provider_request_id AS request FROM payments WHERE id = $1",
      [started.body.paymentId],
      h.database,
    );
    const paid = await fetch(
      `${fake}/__control/clients/${h.env.INSTAMOJO_CLIENT_ID}/requests/${row?.request}/pay`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ outcome: "paid", salt: h.env.INSTAMOJO_PRIVATE_SALT }),
      },
    );
    const { webhook } = (await paid.json()) as { webhook: Record<string, string> };
    const res = await h.request("POST", "/v1/webhooks/instamojo", undefined, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      raw: new URLSearchParams(webhook).toString(),
    });
    if (res.status !== 200) throw new Error(`fuzz payment fixture: ${res.status} ${res.text}`);
    ids.push(started.body.paymentId);
  }
  return ids;
}

/**
 * What enrolment, grants, rosters, the join URL and recordings need to answer 2xx: a free batch
 * with room for anyone (and students to grant seats to), and a batch in which every pre-minted
 * student (the student caller's identities) holds a seat, with a class on now and its recording.
 */
async function learningFixtures(h: Harness, students: TestUser[]): Promise<Hints> {
  const db = h.database;
  const freeCourse = await insertCourse(db, { pricePaise: 0 });
  const open = await insertBatch(db, freeCourse.id, { capacity: 10_000 });
  const course = await insertCourse(db);
  const seated = await insertBatch(db, course.id);
  for (const s of students) await insertEnrolment(db, s.id, seated.id, { status: "active" });
  const live = await insertSession(db, seated.id, {
    startsAt: new Date(Date.now() - 5 * 60_000),
    durationMinutes: 180,
  });
  const [recording] = await adminQuery<{ id: string }>(
    `INSERT INTO recordings (session_id, zoom_meeting_uuid, title) VALUES ($1, $2, 'Fixture')
     RETURNING id`,
    [live.id, crypto.randomUUID()],
    db,
  );
  if (!recording) throw new Error("recording fixture insert failed");
  const grantees = await mintUsers(h, "student", 2);
  return {
    "createEnrolment:batchId": fc.constant(open.id),
    "grantEnrolment:id": fc.constant(open.id),
    "grantEnrolment:userId": fc.constantFrom(...grantees.map((g) => g.id)),
    "getBatchRoster:id": fc.constant(seated.id),
    "getSessionJoin:id": fc.constant(live.id),
    "getRecording:id": fc.constant(recording.id),
  };
}

/**
 * Batches to schedule classes in, and classes made through the API (so the dev Zoom provider
 * knows their meetings) to reschedule, cancel and join; several, as a run cancels some.
 */
async function sessionFixtures(h: Harness): Promise<Hints> {
  const course = await insertCourse(h.database);
  const batch = await insertBatch(h.database, course.id);
  const admin = await h.asAdmin();
  const sessionIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await h.post<unknown, { id: string }>(
      `/v1/admin/batches/${batch.id}/sessions`,
      {
        title: `Fixture class ${i}`,
        startsAt: new Date(Date.now() + (i + 1) * 86_400_000).toISOString(),
        durationMinutes: 60,
      },
      { headers: admin.auth },
    );
    if (res.status !== 201) throw new Error(`session fixture: ${res.status} ${res.text}`);
    sessionIds.push(res.body.id);
  }
  const sessions = fc.constantFrom(...sessionIds);
  const student = await h.asStudent();
  const feed = await h.post<unknown, { url: string }>("/v1/me/calendar-feed", undefined, {
    headers: student.auth,
  });
  const feedToken = new URL(feed.body.url).searchParams.get("token") ?? "";
  return {
    ...sessionHints,
    "createSession:id": fc.constant(batch.id),
    "listBatchSessions:id": fc.constant(batch.id),
    "rescheduleSession:id": sessions,
    "cancelSession:id": sessions,
    "getScheduleFeed:token": fc.constant(feedToken),
  };
}

/**
 * Courses and batches for the catalogue's operations: a published course to read and to add
 * batches to, drafts to change, batches to change (several: a run may finish or cancel some).
 */
async function catalogueFixtures(h: Harness): Promise<Hints> {
  const db = h.database;
  const live = await insertCourse(db, { category: "jee", language: "hi" });
  const drafts = [
    await insertCourse(db, { status: "draft" }),
    await insertCourse(db, { status: "draft" }),
  ];
  const batchIds = [];
  for (let i = 0; i < 4; i++) batchIds.push((await insertBatch(db, live.id)).id);
  return {
    ...catalogueHints,
    "getCourse:slug": fc.constant(live.slug),
    "createBatch:id": fc.constant(live.id),
    "getAdminCourse:id": fc.constantFrom(live.id, ...drafts.map((c) => c.id)),
    "updateCourse:id": fc.constantFrom(...drafts.map((c) => c.id)),
    "updateBatch:id": fc.constantFrom(...batchIds),
  };
}

// ---------------------------------------------------------------------------------------------
// Sending and judging

let ipCounter = 0;
/** A client address of its own: limits keyed by address never pile up across requests. */
function freshIp(): string {
  const n = ++ipCounter;
  return n % 5 === 0
    ? `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`
    : `198.18.${(n >> 8) & 0xff}.${n & 0xff}`;
}

async function send(h: Harness, req: FuzzRequest, token: string | undefined): Promise<Outcome> {
  const wire = toWire(req, token, req.hotIp ? h.ip : freshIp());
  const res = await h.fetch(wire.target, wire);
  return {
    status: res.status,
    contentType: res.headers.get("Content-Type") ?? "",
    text: await res.text(),
  };
}

/**
 * What each caller may use, asked of the app itself (as requireAuth and requireRole guard it,
 * whatever the policy of the day): each secured operation once per role, with a fresh identity
 * and input the validator refuses, so a permitted call answers 400 (or runs, if it takes no
 * input) and a refused one answers 403. Computed once per file; the fuzzing then checks that no
 * request shape (odd paths, escapes, methods, tokens) reaches further than this.
 */
let accessOnce: Promise<Map<Caller, Set<string>>> | undefined;

async function probeAccess(h: Harness, ops: Operation[]): Promise<Map<Caller, Set<string>>> {
  const access = new Map<Caller, Set<string>>();
  access.set("anonymous", new Set(ops.filter((op) => !op.secured).map((op) => op.id)));
  const secured = ops.filter((op) => op.secured);
  for (const role of CALLERS.filter((c): c is Role => c !== "anonymous")) {
    const users = await mintUsers(h, role, secured.length);
    const may = new Set(access.get("anonymous"));
    for (const [i, op] of secured.entries()) {
      const probe = accessProbe(op, users[i]?.accessToken ?? "", freshIp());
      const res = await h.fetch(probe.target, probe);
      expect(res.status, `${role} probing ${op.id}: ${await res.text()}`).not.toBe(401);
      if (res.status !== 403) may.add(op.id);
    }
    access.set(role, may);
  }
  return access;
}

/**
 * Operations only a provider can call successfully: their body is signed with its secret (or,
 * for WhatsApp's subscription check, carries its verify token).
 */
const SIGNED_BY_PROVIDERS = new Set([
  "receiveZoomWebhook",
  "receiveInstamojoWebhook",
  "verifyWhatsappWebhook",
  "receiveWhatsappWebhook",
  "receiveTwilioWebhook",
  "receiveResendWebhook",
]);

/** A 2xx, or a redirect the operation documents as its answer (the payment return page). */
function succeededAs(op: { redirects: number[] }, status: number): boolean {
  return (status >= 200 && status < 300) || op.redirects.includes(status);
}

describe("fuzzing every operation in /openapi.json", () => {
  for (const caller of CALLERS) {
    it(
      `as ${caller}: no 5xx, every 4xx a problem, no role past its rights`,
      async (t) => {
        const started = Date.now();
        // The messaging webhooks' secrets, so they answer 401 to the fuzzer rather than 503.
        const h = await Harness.init(t, { env: WEBHOOK_SECRETS });
        const res = await h.get<OpenApiDoc>("/openapi.json");
        expect(res.status).toBe(200);
        const doc = res.body;
        const ops = operations(doc);
        expect(ops.length).toBeGreaterThan(20);
        const limits = { maxBodyBytes: Number(h.env.MAX_BODY_BYTES ?? 1_048_576) };
        // The student caller's identities hold seats (learningFixtures): mint them first.
        const premade = caller === "student" ? await mintUsers(h, "student", 32) : [];
        const gen: Gen = { doc, hints: await createFixtures(h, premade) };
        accessOnce ??= probeAccess(h, ops);
        const access = await accessOnce;
        const may = access.get(caller) ?? new Set<string>();
        const actor = new Actor(h, caller, premade);
        const ownTickets = new OwnTickets(h);

        const failures: string[] = [];
        const statuses = new Map<number, number>();
        const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const pastLimiter = new Set<string>();
        const succeeded = new Set<string>();
        let total = 0;
        let expected = 0;
        for (const op of ops) {
          const seed = seedFor(SEED, op.id, caller);
          const arbs = requestArbs({ ...gen, op: op.id }, op, caller, limits);
          // First the sweep of the known-good request's fields (refused, so nothing is used up),
          // then the known-good request itself, then anything.
          const canonical = requestArbs({ ...gen, op: op.id, canonical: true }, op, caller, limits);
          const [known] = fc.sample(canonical.valid, { seed, numRuns: 1 }) as [FuzzRequest];
          const swept = sweeper(access, op) === caller ? sweep(gen, op, known) : [];
          const examples = [...swept, known].map((req) => [req] as [FuzzRequest]);
          expected += RUNS + swept.length;
          const details = await fc.check(
            fc.asyncProperty(arbs.any, async (req) => {
              const token = await actor.token();
              req = await ownTickets.personalise(req, caller, actor.current);
              const live = !actor.sessionMayHaveEnded;
              const out = await send(h, req, token);
              total++;
              count(out.status);
              if (out.status !== 429) pastLimiter.add(op.id);
              if (succeededAs(op, out.status) && req.method === op.method) succeeded.add(op.id);
              actor.endedBy(op.id, out.status);
              const wrong = judge(ops, may, caller, req, out, live);
              if (wrong) {
                throw new Error(
                  `${wrong}\n    ${describeRequest(req)}\n  → ${out.status} ${clip(out.text, 600)}`,
                );
              }
            }),
            // No shrinking: requests change state and can be huge; the seed replays the run.
            { seed, numRuns: RUNS + swept.length, examples, endOnFailure: true },
          );
          if (details.failed) {
            const error = details.errorInstance;
            const message = error instanceof Error ? error.message : String(error);
            failures.push(`${op.id} (${op.method} ${op.path}, seed ${seed}): ${message}`);
          }
        }
        const histogram = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
        // Provider webhooks succeed only with the provider's secret, which no caller has.
        const usable = ops
          .filter((op) => may.has(op.id) && !SIGNED_BY_PROVIDERS.has(op.id))
          .map((op) => op.id);
        const neverSucceeded = usable.filter((id) => !succeeded.has(id));
        console.log(
          `fuzz as ${caller}: ${total} requests in ${Date.now() - started} ms, ` +
            `statuses ${JSON.stringify(histogram)}, ` +
            `no 2xx for ${neverSucceeded.length}/${usable.length} usable operations: ${neverSucceeded.join(", ")}`,
        );

        expect(failures, failures.join("\n\n")).toEqual([]);
        expect(total).toBe(expected);
        // The limiter may answer, but never instead of the app: every operation was reached past
        // it, and most requests were.
        expect(ops.map((op) => op.id).filter((id) => !pastLimiter.has(id))).toEqual([]);
        expect(statuses.get(429) ?? 0).toBeLessThan(total * 0.2);
        // No mere validation-error machine: nearly every operation the role may use answered
        // 2xx (an admin asking to become one gets 409, whatever it sends).
        expect(neverSucceeded.length).toBeLessThanOrEqual(Math.ceil(usable.length / 10));
      },
      TIMEOUT_MS,
    );
  }

  // Found by this fuzzer, replayed exactly so they stay fixed whatever the seed.
  it("regressions: date-time filters outside what Postgres stores → 400, not 500", async (t) => {
    const h = await Harness.init(t);
    const admin = await h.asAdmin("super_admin");
    // Year 0000 passes the ISO format; an offset moves year 1 into year 0 or 9999 into 10000;
    // a `to` in year 1 puts the stats' default `from` (a day earlier) into year 0.
    for (const query of [
      "/v1/admin/error-logs/stats?to=0000-01-01T00%3A00%3A00Z",
      "/v1/admin/error-logs/stats?to=0001-01-01T00%3A00%3A00Z",
      "/v1/admin/error-logs/stats?from=9999-12-31T23%3A59%3A59-23%3A59",
      "/v1/admin/error-logs?from=0001-01-01T00%3A00%3A00%2B05%3A30",
      "/v1/admin/audit-logs?to=0000-01-01T00%3A00%3A00Z&page=1",
      "/v1/admin/rate-limits/top?since=9999-12-31T23%3A59%3A59-23%3A59",
    ]) {
      const res = await h.get<{ code: string }>(query, { headers: admin.auth });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    // The edges themselves are fine.
    const edges = "from=1970-01-01T00%3A00%3A00Z&to=9999-12-31T23%3A59%3A59Z";
    for (const query of [`/v1/admin/error-logs/stats?${edges}`, `/v1/admin/audit-logs?${edges}`]) {
      const res = await h.get(query, { headers: admin.auth });
      expect(res.status, `${query}: ${res.text}`).toBe(200);
    }
  });

  it("regressions: a NUL character in text or a text filter → 400, not 500", async (t) => {
    const h = await Harness.init(t);
    const [student, admin, superAdmin] = await Promise.all([
      h.asStudent(),
      h.asAdmin(),
      h.asAdmin("super_admin"),
    ]);
    // Postgres text cannot hold U+0000: stored or compared, the query failed.
    const nul = "a\u0000b";
    const cases: [string, string, unknown, Record<string, string>][] = [
      [
        "POST",
        "/v1/auth/signup",
        { email: "nul@example.in", password: "monsoon chai kite 42", fullName: nul },
        {},
      ],
      ["PATCH", "/v1/me", { fullName: nul }, student.auth],
      [
        "POST",
        "/v1/admin-requests",
        { phone: "+919876543210", reason: `${nul} runs a centre` },
        student.auth,
      ],
      [
        "POST",
        `/v1/admin/admin-requests/${crypto.randomUUID()}/reject`,
        { reason: nul },
        superAdmin.auth,
      ],
      ["GET", "/v1/admin/users?q=a%00b", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?action=%00", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?entityType=%00", undefined, admin.auth],
      ["GET", "/v1/admin/audit-logs?entityId=%00", undefined, admin.auth],
      ["GET", "/v1/admin/error-logs?code=a%00b", undefined, admin.auth],
    ];
    for (const [method, path, body, headers] of cases) {
      const res = await h.request<{ code: string }>(method, path, body, { headers });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    // Other unusual text is stored as sent.
    const name = "अनन्या 🐉 \u202Eشرما";
    const res = await h.patch<unknown, { fullName: string }>(
      "/v1/me",
      { fullName: name },
      {
        headers: student.auth,
      },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.fullName).toBe(name);
  });
});
