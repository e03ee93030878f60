/**
 * The shared security suite, run against every protected endpoint: no token, malformed token,
 * expired token, alg none, wrong algorithm, wrong audience, tampered payload, refresh token as
 * access token, wrong role; plus per-resource ownership for routes with an id.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { Harness } from "../support/harness";
import { mintAccessToken, type Role, type TestUser } from "../support/identity";

interface Protected {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  /** Roles that may call it; others get 403. */
  roles: Role[];
  body?: unknown;
}

const SOME_ID = "00000000-0000-4000-8000-000000000001";
const ENDPOINTS: Protected[] = [
  { method: "GET", path: "/v1/me", roles: ["student", "admin", "super_admin"] },
  {
    method: "PATCH",
    path: "/v1/me",
    roles: ["student", "admin", "super_admin"],
    body: { fullName: "X Y" },
  },
  {
    method: "POST",
    path: "/v1/me/password",
    roles: ["student", "admin", "super_admin"],
    body: { currentPassword: "a", newPassword: "b" },
  },
  { method: "POST", path: "/v1/auth/logout-all", roles: ["student", "admin", "super_admin"] },
  { method: "POST", path: "/v1/auth/email/resend", roles: ["student", "admin", "super_admin"] },
  {
    method: "POST",
    path: "/v1/admin-requests",
    roles: ["student", "admin", "super_admin"],
    body: { phone: "+919876543210", reason: "I run the Pune centre" },
  },
  { method: "GET", path: "/v1/admin/users", roles: ["admin", "super_admin"] },
  { method: "GET", path: `/v1/admin/users/${SOME_ID}`, roles: ["admin", "super_admin"] },
  {
    method: "PATCH",
    path: `/v1/admin/users/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { status: "disabled" },
  },
  { method: "GET", path: "/v1/admin/audit-logs", roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/payments", roles: ["admin", "super_admin"] },
  { method: "GET", path: `/v1/admin/payments/${SOME_ID}`, roles: ["admin", "super_admin"] },
  {
    method: "GET",
    path: "/v1/admin/payments/reconciliation",
    roles: ["admin", "super_admin"],
  },
  {
    method: "GET",
    path: "/v1/admin/payments/export.csv?from=2026-01-01&to=2026-01-02",
    roles: ["admin", "super_admin"],
  },
  {
    method: "POST",
    path: `/v1/admin/payments/${SOME_ID}/refunds`,
    roles: ["admin", "super_admin"],
    body: { type: "QFL", reason: "A reason" },
  },
  {
    method: "POST",
    path: `/v1/enrolments/${SOME_ID}/payments`,
    roles: ["student"],
    body: {},
  },
  { method: "GET", path: "/v1/me/invoices", roles: ["student", "admin", "super_admin"] },
  { method: "GET", path: "/v1/me/certificates", roles: ["student", "admin", "super_admin"] },
  {
    method: "PUT",
    path: "/v1/me/certificate-name",
    roles: ["student", "admin", "super_admin"],
    body: { name: "Asha Rao" },
  },
  {
    method: "POST",
    path: `/v1/admin/batches/${SOME_ID}/certificates`,
    roles: ["admin", "super_admin"],
  },
  {
    method: "POST",
    path: "/v1/admin/certificates",
    roles: ["admin", "super_admin"],
    body: { enrolmentId: SOME_ID, reason: "A reason" },
  },
  { method: "GET", path: "/v1/admin/certificates", roles: ["admin", "super_admin"] },
  {
    method: "POST",
    path: `/v1/admin/certificates/${SOME_ID}/revoke`,
    roles: ["admin", "super_admin"],
    body: { reasonCategory: "other", note: "A note" },
  },
  {
    method: "GET",
    path: `/v1/invoices/${SOME_ID}.pdf`,
    roles: ["student", "admin", "super_admin"],
  },
  { method: "GET", path: "/v1/admin/audit-logs/verify", roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/error-logs", roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/error-logs/stats", roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/cache/stats", roles: ["admin", "super_admin"] },
  // The catalogue: admins and super admins manage it; students only read it publicly.
  { method: "GET", path: "/v1/admin/courses", roles: ["admin", "super_admin"] },
  {
    method: "POST",
    path: "/v1/admin/courses",
    roles: ["admin", "super_admin"],
    body: {
      slug: "security-suite-course",
      title: "T",
      summary: "S",
      category: "jee",
      level: "beginner",
      language: "en",
      pricePaise: 100,
    },
  },
  { method: "GET", path: `/v1/admin/courses/${SOME_ID}`, roles: ["admin", "super_admin"] },
  {
    method: "PATCH",
    path: `/v1/admin/courses/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { title: "Renamed" },
  },
  {
    method: "POST",
    path: `/v1/admin/courses/${SOME_ID}/batches`,
    roles: ["admin", "super_admin"],
    body: {
      name: "Morning",
      startDate: "2027-01-04",
      endDate: "2027-03-31",
      capacity: 30,
      enrolmentOpensAt: "2026-12-01T00:00:00Z",
      enrolmentClosesAt: "2027-01-03T00:00:00Z",
    },
  },
  {
    method: "PATCH",
    path: `/v1/admin/batches/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { name: "Evening" },
  },
  // Recordings: any signed-in role (students see their batches', admins any).
  { method: "GET", path: "/v1/me/recordings", roles: ["student", "admin", "super_admin"] },
  { method: "GET", path: `/v1/recordings/${SOME_ID}`, roles: ["student", "admin", "super_admin"] },
  // Enrolments: students take and give back their own seats; admins grant and read rosters.
  {
    method: "POST",
    path: "/v1/enrolments",
    roles: ["student"],
    body: { batchId: SOME_ID },
  },
  { method: "GET", path: "/v1/me/enrolments", roles: ["student", "admin", "super_admin"] },
  { method: "POST", path: `/v1/enrolments/${SOME_ID}/cancel`, roles: ["student"] },
  {
    method: "POST",
    path: `/v1/admin/batches/${SOME_ID}/enrolments`,
    roles: ["admin", "super_admin"],
    body: { userId: SOME_ID, reason: "Scholarship" },
  },
  { method: "GET", path: `/v1/admin/batches/${SOME_ID}/roster`, roles: ["admin", "super_admin"] },
  // Live classes: admins schedule them; any signed-in user has a schedule and a calendar feed.
  {
    method: "POST",
    path: `/v1/admin/batches/${SOME_ID}/sessions`,
    roles: ["admin", "super_admin"],
    body: { title: "Kinematics", startsAt: "2030-01-07T04:30:00Z", durationMinutes: 60 },
  },
  { method: "GET", path: `/v1/admin/batches/${SOME_ID}/sessions`, roles: ["admin", "super_admin"] },
  {
    method: "PATCH",
    path: `/v1/admin/sessions/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { durationMinutes: 30 },
  },
  { method: "DELETE", path: `/v1/admin/sessions/${SOME_ID}`, roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/me/schedule", roles: ["student", "admin", "super_admin"] },
  {
    method: "GET",
    path: `/v1/sessions/${SOME_ID}/join`,
    roles: ["student", "admin", "super_admin"],
  },
  { method: "POST", path: "/v1/me/calendar-feed", roles: ["student", "admin", "super_admin"] },
  { method: "DELETE", path: "/v1/me/calendar-feed", roles: ["student", "admin", "super_admin"] },
  // Leads: the admins' pipeline (the public form is POST /v1/leads).
  { method: "GET", path: "/v1/admin/leads", roles: ["admin", "super_admin"] },
  { method: "GET", path: `/v1/admin/leads/${SOME_ID}`, roles: ["admin", "super_admin"] },
  {
    method: "PATCH",
    path: `/v1/admin/leads/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { status: "contacted" },
  },
  { method: "POST", path: `/v1/admin/leads/${SOME_ID}/convert`, roles: ["admin", "super_admin"] },
  { method: "POST", path: "/v1/admin/leads/import", roles: ["admin", "super_admin"] },
  // The outbox's admin views.
  { method: "GET", path: "/v1/admin/notifications", roles: ["admin", "super_admin"] },
  {
    method: "POST",
    path: `/v1/admin/notifications/${SOME_ID}/retry`,
    roles: ["admin", "super_admin"],
  },
  {
    method: "GET",
    path: "/v1/admin/notifications/templates/account_invitation/preview",
    roles: ["admin", "super_admin"],
  },
  // The CRM inbox: admins and super admins.
  { method: "GET", path: "/v1/admin/conversations", roles: ["admin", "super_admin"] },
  {
    method: "POST",
    path: "/v1/admin/conversations",
    roles: ["admin", "super_admin"],
    body: { contactId: SOME_ID, channel: "sms" },
  },
  {
    method: "PATCH",
    path: `/v1/admin/conversations/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { important: true },
  },
  {
    method: "GET",
    path: `/v1/admin/conversations/${SOME_ID}/messages`,
    roles: ["admin", "super_admin"],
  },
  {
    method: "POST",
    path: `/v1/admin/conversations/${SOME_ID}/messages`,
    roles: ["admin", "super_admin"],
    body: { text: "Hello" },
  },
  { method: "GET", path: "/v1/admin/messages/search?q=fees", roles: ["admin", "super_admin"] },
  // Support tickets: students their own (another's is 404), admins the help desk.
  {
    method: "POST",
    path: "/v1/tickets",
    roles: ["student"],
    body: { subject: "Help", body: "Please help", category: "other" },
  },
  { method: "GET", path: "/v1/me/tickets", roles: ["student", "admin", "super_admin"] },
  { method: "GET", path: `/v1/tickets/${SOME_ID}`, roles: ["student"] },
  {
    method: "POST",
    path: `/v1/tickets/${SOME_ID}/replies`,
    roles: ["student"],
    body: { body: "Hi" },
  },
  { method: "POST", path: `/v1/tickets/${SOME_ID}/close`, roles: ["student"] },
  { method: "POST", path: `/v1/tickets/${SOME_ID}/rating`, roles: ["student"], body: { score: 5 } },
  {
    method: "POST",
    path: `/v1/tickets/${SOME_ID}/attachments`,
    roles: ["student", "admin", "super_admin"],
  },
  { method: "GET", path: `/v1/attachments/${SOME_ID}`, roles: ["student", "admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/tickets", roles: ["admin", "super_admin"] },
  { method: "GET", path: "/v1/admin/tickets/stats", roles: ["admin", "super_admin"] },
  { method: "GET", path: `/v1/admin/tickets/${SOME_ID}`, roles: ["admin", "super_admin"] },
  {
    method: "PATCH",
    path: `/v1/admin/tickets/${SOME_ID}`,
    roles: ["admin", "super_admin"],
    body: { priority: "high" },
  },
  {
    method: "POST",
    path: `/v1/admin/tickets/${SOME_ID}/replies`,
    roles: ["admin", "super_admin"],
    body: { body: "Hello" },
  },
  { method: "GET", path: "/v1/admin/admin-requests", roles: ["super_admin"] },
  // Rate-limit tools are super admins' only: limits are a way around every other control.
  { method: "GET", path: "/v1/admin/rate-limits/top", roles: ["super_admin"] },
  {
    method: "GET",
    path: "/v1/admin/rate-limits/auth/ip:203.0.113.7",
    roles: ["super_admin"],
  },
  {
    method: "POST",
    path: "/v1/admin/rate-limits/auth/ip:203.0.113.7/reset",
    roles: ["super_admin"],
  },
  {
    method: "PUT",
    path: "/v1/admin/rate-limits/auth/ip:203.0.113.7/override",
    roles: ["super_admin"],
    body: { action: "clear" },
  },
  { method: "POST", path: `/v1/admin/admin-requests/${SOME_ID}/approve`, roles: ["super_admin"] },
  {
    method: "POST",
    path: `/v1/admin/admin-requests/${SOME_ID}/reject`,
    roles: ["super_admin"],
    body: { reason: "Not now" },
  },
];

function b64url(obj: unknown) {
  return btoa(JSON.stringify(obj)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function hmac(secret: string, data: string, hash: "SHA-256" | "SHA-512") {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)));
  return btoa(String.fromCharCode(...sig))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Forged or broken tokens for `u`, each of which must be refused with 401. */
async function badTokens(h: Harness, u: TestUser): Promise<[string, string][]> {
  const env = h.env;
  const claims = { sub: u.id, role: u.role, sid: u.sessionId, ver: 0 };
  const [header, payload] = u.accessToken.split(".") as [string, string, string];
  const now = Math.floor(Date.now() / 1000);
  const original = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
  const body = { ...original, role: original.role === "super_admin" ? "student" : "super_admin" };
  const hs512Header = b64url({ alg: "HS512", typ: "at+jwt" });
  const hs512Payload = b64url({
    sub: u.id,
    role: u.role,
    sid: u.sessionId,
    ver: 0,
    iss: env.JWT_ISSUER ?? "coaching-api",
    aud: env.JWT_AUDIENCE ?? "coaching-app",
    jti: "j",
    iat: now,
    exp: now + 600,
  });
  return [
    ["malformed", "not-a-jwt"],
    [
      "expired",
      await mintAccessToken(env, claims, { ttlSeconds: 60, now: () => Date.now() - 3_600_000 }),
    ],
    ["alg none", `${b64url({ alg: "none", typ: "at+jwt" })}.${payload}.`],
    [
      "wrong algorithm (HS512)",
      `${hs512Header}.${hs512Payload}.${await hmac(env.JWT_SECRET, `${hs512Header}.${hs512Payload}`, "SHA-512")}`,
    ],
    ["wrong audience", await mintAccessToken(env, claims, { audience: "someone-else" })],
    ["wrong issuer", await mintAccessToken(env, claims, { issuer: "evil" })],
    [
      "wrong secret",
      await mintAccessToken(env, claims, { secret: "another-secret-0123456789abcdef0123456789" }),
    ],
    ["tampered payload", `${header}.${b64url(body)}.${u.accessToken.split(".")[2]}`],
    ["refresh token as access token", "r".repeat(43)],
  ];
}

describe("security suite: every protected endpoint", () => {
  it("the list covers every route that needs a token", () => {
    const app = createApp();
    const covered = new Set(
      ENDPOINTS.map(
        (e) =>
          `${e.method} ${(e.path.split("?")[0] ?? "")
            .replace(`${SOME_ID}.pdf`, ":id")
            .replace(SOME_ID, ":id")
            .replace("auth/ip:203.0.113.7", ":policy/:identity")
            .replace("templates/account_invitation/", "templates/:name/")}`,
      ),
    );
    const publicRoutes = new Set([
      "GET /health",
      "GET /health/ready",
      "GET /openapi.json",
      // Certificate verification keys: anyone may verify a credential.
      "GET /.well-known/jwks.json",
      "POST /v1/auth/signup",
      "POST /v1/auth/login",
      "POST /v1/auth/refresh",
      "POST /v1/auth/logout",
      "POST /v1/auth/password/forgot",
      "POST /v1/auth/password/reset",
      "POST /v1/auth/email/verify",
      "POST /v1/auth/accept-invitation",
      // The website's lead form: Turnstile and the strict limit guard it (test/leads).
      "POST /v1/leads",
      "POST /v1/admin-requests/verify",
      "GET /v1/courses",
      "GET /v1/courses/:slug",
      // Zoom's webhook: its signature is the credential (test/live/zoom-webhook.test.ts).
      "POST /v1/webhooks/zoom",
      // Authenticated by the feed token in its URL (calendar apps send no headers).
      "GET /v1/me/schedule.ics",
      // Development and tests only (404 elsewhere): the dev Zoom provider's pages.
      "GET /dev/zoom/join/:meetingId",
      "GET /dev/zoom/start/:meetingId",
      "GET /dev/zoom/recordings/:meetingId/:fileId",
      // Development and tests only (404 elsewhere): the dev payments provider's checkout.
      "GET /dev/instamojo/checkout/:requestId",
      "POST /dev/instamojo/checkout/:requestId/pay",
      "POST /dev/instamojo/checkout/:requestId/fail",
      // Instamojo's webhook (its MAC is the credential) and the page it redirects the buyer to
      // (trusts nothing it is given: test/payments/checkout.test.ts).
      "POST /v1/webhooks/instamojo",
      // The messaging providers' webhooks: their signatures are the credential
      // (test/inbox/webhooks.test.ts); the GET is WhatsApp's verify-token check.
      "GET /v1/webhooks/whatsapp",
      "POST /v1/webhooks/whatsapp",
      "POST /v1/webhooks/twilio/sms",
      "POST /v1/webhooks/resend",
      "GET /v1/payments/return",
      // One-click unsubscribe: the link's HMAC names the one address it can unsubscribe
      // (test/notifications/unsubscribe.test.ts).
      "GET /v1/unsubscribe",
      "POST /v1/unsubscribe",
      // Certificates are checked by anyone: the verify page and the signed credential.
      "GET /v1/certificates/verify/:code",
      "GET /v1/certificates/:code/credential",
      "GET /v1/certificates/:file",
    ]);
    const routes = new Set(
      app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`),
    );
    const unlisted = [...routes].filter((r) => !covered.has(r) && !publicRoutes.has(r));
    expect(unlisted).toEqual([]);
  });

  describe.each(ENDPOINTS)("$method $path", (ep) => {
    const call = (h: Harness, headers: Record<string, string>) =>
      h.request(ep.method, ep.path, ep.body, { headers });

    it("no token → 401 with WWW-Authenticate", async (t) => {
      const h = await Harness.init(t);
      const res = await call(h, {});
      expect(res.status, res.text).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    });

    it("forged, broken or misused tokens → 401", async (t) => {
      const h = await Harness.init(t);
      const u = await h.createUser({ role: ep.roles[0] });
      for (const [label, token] of await badTokens(h, u)) {
        const res = await call(h, { Authorization: `Bearer ${token}` });
        expect(res.status, `${label}: ${res.text}`).toBe(401);
      }
      // Not a Bearer scheme at all.
      expect((await call(h, { Authorization: `Basic ${btoa("a:b")}` })).status).toBe(401);
    });

    it("a role that may not call it → 403", async (t) => {
      const h = await Harness.init(t);
      const denied = (["student", "admin", "super_admin"] as const).filter(
        (r) => !ep.roles.includes(r),
      );
      for (const role of denied) {
        const u = await h.createUser({ role });
        const res = await call(h, u.auth);
        expect(res.status, `${role}: ${res.text}`).toBe(403);
      }
    });
  });
});
