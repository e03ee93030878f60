import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorLogs } from "../../src/db/schema";
import type { ProblemBody } from "../../src/lib/problem";
import { envelopesContaining, waitForEnvelope } from "../support/fake-sentry";
import { Harness } from "../support/harness";
import { mintAccessToken } from "../support/identity";
import { createTestApp } from "../support/test-app";

const app = () => ({ app: createTestApp() });

function expectProblem(
  res: { status: number; headers: Headers; body: unknown; text: string },
  status: number,
  code: string,
) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = res.body as ProblemBody;
  expect(body).toMatchObject({
    status,
    code,
    type: expect.stringMatching(/^urn:coaching-api:problem:/),
  });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  expect(body.requestId).toBe(res.headers.get("X-Request-Id"));
  return body;
}

describe("request validation", () => {
  it("accepts a valid body, trimming strings and lower-casing the email", async (t) => {
    const h = await Harness.init(t, app());
    const res = await h.post("/__test/echo", { name: "  Asha  ", email: " Asha@Example.IN " });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ name: "Asha", email: "asha@example.in" });
  });

  it("malformed JSON → 400 MALFORMED_REQUEST", async (t) => {
    const h = await Harness.init(t, app());
    const res = await h.post("/__test/echo", undefined, {
      raw: '{"name": "Asha",',
      headers: { "Content-Type": "application/json" },
    });
    const body = expectProblem(res, 400, "MALFORMED_REQUEST");
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it.for([
    ["text/plain", "name=Asha"],
    ["application/x-www-form-urlencoded", "name=Asha&email=a%40b.in"],
    ["multipart/form-data; boundary=x", "--x--"],
  ] as const)("a %s body → 415", async ([contentType, raw], t) => {
    const h = await Harness.init(t, app());
    const res = await h.post("/__test/echo", undefined, {
      raw,
      headers: { "Content-Type": contentType },
    });
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it.for([
    [
      "unknown key",
      { name: "A", email: "a@b.in", role: "admin" },
      "(root)",
      /Unknown field\(s\): role/,
    ],
    ["invalid email", { name: "A", email: "not-an-email" }, "email", /valid email/],
    ["missing field", { email: "a@b.in" }, "name", /./],
    ["too long", { name: "x".repeat(21), email: "a@b.in" }, "name", /21|20|long|big/i],
    ["blank after trim", { name: "   ", email: "a@b.in" }, "name", /./],
    ["wrong type", { name: 42, email: "a@b.in" }, "name", /string/i],
  ] as const)(
    "%s → 400 VALIDATION_FAILED naming the field",
    async ([, payload, path, message], t) => {
      const h = await Harness.init(t, app());
      const res = await h.post("/__test/echo", payload);
      const body = expectProblem(res, 400, "VALIDATION_FAILED");
      expect(body.errors, res.text).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path, message: expect.stringMatching(message) }),
        ]),
      );
    },
  );

  it("sanitises rich text against XSS, keeping safe formatting", async (t) => {
    const h = await Harness.init(t, app());
    const bio =
      '<b>Maths</b> tutor<script>alert(1)</script><img src=x onerror="alert(2)">' +
      '<a href="javascript:alert(3)">x</a><a href="https://example.in">site</a>';
    const res = await h.post<unknown, { bio: string }>("/__test/echo", {
      name: "A",
      email: "a@b.in",
      bio,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.bio).toContain("<b>Maths</b> tutor");
    expect(res.body.bio).toContain('<a href="https://example.in">site</a>');
    expect(res.body.bio).not.toMatch(/<script|alert\(1\)|<img|onerror|javascript:/i);
  });
});

describe("body size limit", () => {
  it("a body over MAX_BODY_BYTES → 413 (Content-Length)", async (t) => {
    const h = await Harness.init(t, { ...app(), env: { MAX_BODY_BYTES: "1024" } });
    const res = await h.post("/__test/echo", { name: "A", email: "a@b.in", bio: "x".repeat(2000) });
    const body = expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
    expect(body.maxBytes).toBe(1024);
  });

  it("a streamed (chunked) body over the limit → 413", async (t) => {
    const h = await Harness.init(t, { ...app(), env: { MAX_BODY_BYTES: "1024" } });
    const chunk = new TextEncoder().encode("x".repeat(600));
    const stream = new ReadableStream({
      start(ctrl) {
        ctrl.enqueue(chunk);
        ctrl.enqueue(chunk);
        ctrl.close();
      },
    });
    const res = await h.fetch("/__test/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
    });
    expect(res.status).toBe(413);
  });
});

describe("routing errors", () => {
  it("unknown route → 404 problem", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get("/v1/does-not-exist");
    const body = expectProblem(res, 404, "NOT_FOUND");
    expect(body.instance).toBe("/v1/does-not-exist");
  });

  it("wrong method on a known route → 405 with Allow", async (t) => {
    const h = await Harness.init(t);
    const res = await h.delete("/health/ready");
    expectProblem(res, 405, "METHOD_NOT_ALLOWED");
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
  });
});

describe("request id", () => {
  it("echoes a sane incoming X-Request-Id", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get("/health", { headers: { "X-Request-Id": "client-abc-12345" } });
    expect(res.headers.get("X-Request-Id")).toBe("client-abc-12345");
  });

  it.for([["short"], ["has spaces in it"], ["x".repeat(200)], ["evil\u0007bell-0000"]] as const)(
    "replaces an unsafe incoming id (%s)",
    async ([incoming], t) => {
      const h = await Harness.init(t);
      const res = await h.get("/health", { headers: { "X-Request-Id": incoming } });
      expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-f-]{36}$/);
    },
  );

  it("is on error responses too", async (t) => {
    const h = await Harness.init(t);
    const res = await h.get("/nope");
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
  });
});

describe("server faults", () => {
  it("a thrown error → generic 500, one Sentry envelope, one error_logs row", async (t) => {
    const h = await Harness.init(t, app());
    const marker = crypto.randomUUID();
    const res = await h.get(`/__test/fault?marker=${marker}`, {
      headers: { Authorization: "Bearer super-secret-token-value", Cookie: "sid=cookie-secret" },
    });
    const body = expectProblem(res, 500, "INTERNAL_ERROR");
    expect(res.text).not.toContain(marker);
    expect(res.text).not.toMatch(/forced fault|at .*\.ts|stack/i);

    const envelopes = await waitForEnvelope(marker);
    expect(envelopes).toHaveLength(1);
    const envelope = envelopes[0]?.body ?? "";
    expect(envelope).toContain(body.requestId);
    expect(envelope).toContain('"environment":"test"');
    expect(envelope).not.toContain("super-secret-token-value");
    expect(envelope).not.toContain("cookie-secret");

    const rows = await h.db.select().from(errorLogs).where(eq(errorLogs.requestId, body.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      severity: "error",
      code: "INTERNAL_ERROR",
      status: 500,
      method: "GET",
      route: "/__test/fault",
      path: "/__test/fault",
    });
    expect(rows[0]?.message).toContain(marker);
    expect(rows[0]?.stack).toBeTruthy();
  });

  it("a SQL error → 500 without SQL text; the log keeps the SQL but not the bound values", async (t) => {
    const h = await Harness.init(t, app());
    const marker = `m${crypto.randomUUID().replaceAll("-", "")}`;
    const res = await h.get(`/__test/bad-sql?marker=${marker}`);
    const body = expectProblem(res, 500, "INTERNAL_ERROR");
    expect(res.text).not.toMatch(/no_such_table|select|relation/i);
    const rows = await h.db.select().from(errorLogs).where(eq(errorLogs.requestId, body.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.message).toContain("no_such_table");
    expect(rows[0]?.message).not.toContain(marker);
  });

  it("a SQL error on the HTTP path → 500 without SQL text; the log keeps the SQL, not the values", async (t) => {
    const h = await Harness.init(t, app());
    const marker = `m${crypto.randomUUID().replaceAll("-", "")}`;
    const res = await h.get(`/__test/bad-sql-http?marker=${marker}`);
    const body = expectProblem(res, 500, "INTERNAL_ERROR");
    expect(res.text).not.toMatch(/no_such_table|select|relation/i);
    const rows = await h.db.select().from(errorLogs).where(eq(errorLogs.requestId, body.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.message).toContain("no_such_table");
    expect(rows[0]?.message).not.toContain(marker);
  });

  it("Sentry unreachable → the request is unaffected and the error log still written", async (t) => {
    const closed = `http://publickey@127.0.0.1:${h0().TEST_CLOSED_PORT}/1`;
    const h = await Harness.init(t, { ...app(), env: { SENTRY_DSN: closed } });
    const res = await h.get("/__test/fault?marker=sentry-down");
    const body = expectProblem(res, 500, "INTERNAL_ERROR");
    const rows = await h.db.select().from(errorLogs).where(eq(errorLogs.requestId, body.requestId));
    expect(rows).toHaveLength(1);
    const ok = await h.get("/health/ready");
    expect(ok.status, ok.text).toBe(200);
  });

  it("client errors are not reported to Sentry or the error log", async (t) => {
    const h = await Harness.init(t, app());
    const res = await h.get("/nope", {
      headers: { "X-Request-Id": `client-${crypto.randomUUID()}` },
    });
    expect(res.status).toBe(404);
    const requestId = res.headers.get("X-Request-Id") ?? "";
    await new Promise((r) => setTimeout(r, 300));
    expect(await envelopesContaining(requestId)).toHaveLength(0);
    const rows = await h.db.select().from(errorLogs).where(eq(errorLogs.requestId, requestId));
    expect(rows).toHaveLength(0);
  });
});

describe("Postgres unavailable", () => {
  const stoppedDb = () => {
    const u = new URL(h0().DATABASE_URL);
    u.port = h0().TEST_CLOSED_PORT;
    return u.toString();
  };

  it("stopped → /health/ready 503 naming postgres, others ok", async (t) => {
    const h = await Harness.init(t, { env: { DATABASE_URL: stoppedDb() } });
    const res = await h.get<{ failed: string[]; checks: Record<string, { status: string }> }>(
      "/health/ready",
    );
    expect(res.status, res.text).toBe(503);
    expect(res.body.failed).toEqual(["postgres"]);
    expect(res.body.checks.kv?.status).toBe("ok");
    expect(res.body.checks.durableObject?.status).toBe("ok");
    expect(res.headers.get("Retry-After")).toBe("5");
  });

  it("stopped → a route using the database answers 503 DEPENDENCY_UNAVAILABLE with Retry-After, reported to Sentry", async (t) => {
    const h = await Harness.init(t, { ...app(), env: { DATABASE_URL: stoppedDb() } });
    const res = await h.get("/__test/db");
    const body = expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE");
    expect(body.dependency).toBe("postgres");
    expect(res.headers.get("Retry-After")).toBeTruthy();
    expect(res.text).not.toMatch(/ECONNREFUSED|websocket|127\.0\.0\.1/i);
    await waitForEnvelope(body.requestId);
  });

  it("stopped → the HTTP path answers 503 DEPENDENCY_UNAVAILABLE too, without internals", async (t) => {
    const h = await Harness.init(t, { ...app(), env: { DATABASE_URL: stoppedDb() } });
    const res = await h.get("/__test/db-http");
    const body = expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE");
    expect(body.dependency).toBe("postgres");
    expect(res.headers.get("Retry-After")).toBeTruthy();
    expect(res.text).not.toMatch(/ECONNREFUSED|HTTP status|127\.0\.0\.1/i);
  });

  it("stopped → an authenticated route (principal lookup over HTTP) answers 503, not 401 or 500", async (t) => {
    const h = await Harness.init(t, { env: { DATABASE_URL: stoppedDb() } });
    const token = await mintAccessToken(h.env, {
      sub: crypto.randomUUID(),
      role: "student",
      sid: crypto.randomUUID(),
      ver: 0,
    });
    const res = await h.get("/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    const body = expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE");
    expect(body.dependency).toBe("postgres");
  });

  it("the HTTP endpoint unreachable → 503, not a hang or a 500", async (t) => {
    const endpoint = `http://127.0.0.1:${h0().TEST_CLOSED_PORT}/sql`;
    const h = await Harness.init(t, { ...app(), env: { NEON_HTTP_ENDPOINT: endpoint } });
    try {
      const res = await h.get("/__test/db-http");
      expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE");
    } finally {
      // The driver's endpoint is per isolate: point it back for the files that follow.
      await Harness.init(t, app()).then((ok) => ok.get("/__test/db-http"));
    }
  });

  it.for([
    ["the Pool", "/__test/db"],
    ["the HTTP path", "/__test/db-http"],
  ])("hung, on %s → 503 after the configured timeout, not a hang", async ([, route], t) => {
    const u = new URL(h0().DATABASE_URL);
    u.port = h0().TEST_BLACKHOLE_PORT;
    const h = await Harness.init(t, {
      ...app(),
      env: { DATABASE_URL: u.toString(), DB_QUERY_TIMEOUT_MS: "500" },
    });
    const res = await h.get(route ?? "");
    const body = expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE");
    expect(body.dependency).toBe("postgres");
  });
});

describe("configuration", () => {
  it("invalid configuration → 500 BAD_ENVIRONMENT without details; liveness still answers", async (t) => {
    const h = await Harness.init(t, { env: { DATABASE_URL: "mysql://nope", ENVIRONMENT: "prod" } });
    const res = await h.get("/health/ready");
    const body = expectProblem(res, 500, "BAD_ENVIRONMENT");
    expect(res.text).not.toMatch(/mysql|DATABASE_URL|expected one of/);
    expect(body.detail).toMatch(/misconfigured/);
    expect((await h.get("/health")).status).toBe(200);
  });
});

describe("CORS and security headers", () => {
  it("allows configured origins only", async (t) => {
    const h = await Harness.init(t);
    const allowed = await h.get("/health", { headers: { Origin: "http://localhost:3000" } });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:3000");
    const denied = await h.get("/health", { headers: { Origin: "https://evil.example" } });
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers preflight for an allowed origin", async (t) => {
    const h = await Harness.init(t);
    const res = await h.fetch("/health/ready", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:3000", "Access-Control-Request-Method": "GET" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:3000");
  });

  it("sets secure headers on every response", async (t) => {
    const h = await Harness.init(t);
    for (const res of [await h.get("/health"), await h.get("/nope")]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
      expect(res.headers.get("Strict-Transport-Security")).toMatch(/max-age=/);
    }
  });
});

import { testEnv } from "../support/env";

function h0() {
  return testEnv;
}
