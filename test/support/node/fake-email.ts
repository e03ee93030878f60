/**
 * A local stand-in for Resend's send-email API (`POST /emails`), answering as Resend does:
 * 401 missing key, 403 wrong key, 400/422 for bad bodies, idempotency keys honoured. Tests read
 * accepted messages back with `GET /__messages?to=`. Magic recipients force failures:
 * `fail-500@…` → 500, `rate-429@…` → 429, `slow@…` → answers after 3 s (timeouts).
 *
 * Idempotency as Resend documents it: the same key and body again → the original answer, and
 * the message is not delivered (listed) twice, its `attempts` counting the requests; the same
 * key with another body → 409 invalid_idempotent_request; while the first request with a key
 * is still being answered (`slow@…`) → 409 concurrent_idempotent_requests.
 * Test control (not Resend): `POST /__faults {to, failures}` makes the next `failures` sends
 * to `to` answer 503 application_error, then sends succeed again.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** The one key the fake accepts; tests use the same literal. */
export const FAKE_EMAIL_API_KEY = "re_test_fake_0123456789abcdef";

export interface FakeEmail {
  port: number;
  url: string;
  close: () => Promise<void>;
}

export interface ReceivedEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  tags?: { name: string; value: string }[];
  idempotencyKey?: string;
  receivedAt: number;
  /** Requests that got this message's answer: 1, plus each idempotent replay. */
  attempts: number;
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAMED_ADDRESS = /^[^<>]*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/;
const TAG = /^[A-Za-z0-9_-]{1,256}$/;

const isAddress = (v: unknown): v is string =>
  typeof v === "string" && (ADDRESS.test(v) || NAMED_ADDRESS.test(v));

function reply(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const fail = (
  res: ServerResponse,
  statusCode: number,
  name: string,
  message: string,
  headers = {},
) => reply(res, statusCode, { statusCode, name, message }, headers);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Resend's shape rules, as far as this project relies on them; undefined when valid. */
function invalidBody(body: Record<string, unknown>): [number, string, string] | undefined {
  for (const field of ["from", "to", "subject"]) {
    if (body[field] === undefined) {
      return [422, "missing_required_field", `Missing \`${field}\` field.`];
    }
  }
  if (!isAddress(body.from)) {
    return [
      422,
      "invalid_from_address",
      "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
    ];
  }
  const to = Array.isArray(body.to) ? body.to : [body.to];
  if (to.length === 0 || to.length > 50 || !to.every(isAddress)) {
    return [
      422,
      "validation_error",
      "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
    ];
  }
  if (typeof body.subject !== "string" || body.subject.length === 0) {
    return [422, "validation_error", "Invalid `subject` field."];
  }
  if (typeof body.text !== "string" && typeof body.html !== "string") {
    return [422, "missing_required_field", "Missing `html` or `text` field."];
  }
  if (
    body.tags !== undefined &&
    !(
      Array.isArray(body.tags) &&
      body.tags.every(
        (t: unknown) =>
          typeof t === "object" &&
          t !== null &&
          TAG.test(String((t as Record<string, unknown>).name)) &&
          TAG.test(String((t as Record<string, unknown>).value)),
      )
    )
  ) {
    return [
      422,
      "validation_error",
      "Tags should only contain ASCII letters, numbers, underscores, or dashes.",
    ];
  }
  return undefined;
}

export async function startFakeEmail(apiKey = FAKE_EMAIL_API_KEY): Promise<FakeEmail> {
  const messages: ReceivedEmail[] = [];
  const idempotent = new Map<string, { body: string; id: string }>();
  const inFlight = new Set<string>();
  const faults = new Map<string, number>();

  async function send(req: IncomingMessage, res: ServerResponse) {
    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ") || auth.length <= "Bearer ".length) {
      return fail(
        res,
        401,
        "missing_api_key",
        "Missing API key in the authorization header. Include the following header Authorization: Bearer YOUR_API_KEY in the request.",
      );
    }
    if (auth.slice("Bearer ".length) !== apiKey) {
      return fail(res, 403, "invalid_api_key", "API key is invalid");
    }
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(res, 400, "validation_error", "Invalid JSON body.");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return fail(res, 422, "validation_error", "The request body must be a JSON object.");
    }
    const fields = body as Record<string, unknown>;
    const invalid = invalidBody(fields);
    if (invalid) return fail(res, ...invalid);

    const key = req.headers["idempotency-key"];
    const idempotencyKey = typeof key === "string" ? key : undefined;
    if (
      idempotencyKey !== undefined &&
      (idempotencyKey.length < 1 || idempotencyKey.length > 256)
    ) {
      return fail(res, 400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }

    const to = (Array.isArray(fields.to) ? fields.to : [fields.to]).map(String);
    const faulty = to.find((a) => (faults.get(a.toLowerCase()) ?? 0) > 0);
    if (faulty !== undefined) {
      faults.set(faulty.toLowerCase(), (faults.get(faulty.toLowerCase()) ?? 1) - 1);
      return fail(res, 503, "application_error", "The service is temporarily unavailable.");
    }
    if (to.some((a) => a.startsWith("fail-500@"))) {
      return fail(res, 500, "application_error", "An unexpected error occurred.");
    }
    if (to.some((a) => a.startsWith("rate-429@"))) {
      return fail(
        res,
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
        { "retry-after": "1", "ratelimit-limit": "2", "ratelimit-remaining": "0" },
      );
    }
    if (idempotencyKey !== undefined && inFlight.has(idempotencyKey)) {
      return fail(
        res,
        409,
        "concurrent_idempotent_requests",
        "Same idempotency key used while original request is still in progress.",
      );
    }
    if (to.some((a) => a.startsWith("slow@"))) {
      if (idempotencyKey !== undefined) inFlight.add(idempotencyKey);
      try {
        await new Promise((r) => setTimeout(r, 3_000));
      } finally {
        if (idempotencyKey !== undefined) inFlight.delete(idempotencyKey);
      }
      if (res.destroyed) return;
    }

    if (idempotencyKey !== undefined) {
      const seen = idempotent.get(idempotencyKey);
      if (seen && seen.body !== raw) {
        return fail(
          res,
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload.",
        );
      }
      if (seen) {
        const original = messages.find((m) => m.id === seen.id);
        if (original) original.attempts++;
        return reply(res, 200, { id: seen.id });
      }
    }
    const id = randomUUID();
    if (idempotencyKey !== undefined) idempotent.set(idempotencyKey, { body: raw, id });
    messages.push({
      id,
      from: String(fields.from),
      to,
      subject: String(fields.subject),
      text: typeof fields.text === "string" ? fields.text : undefined,
      html: typeof fields.html === "string" ? fields.html : undefined,
      tags: Array.isArray(fields.tags) ? (fields.tags as ReceivedEmail["tags"]) : undefined,
      idempotencyKey,
      receivedAt: Date.now(),
      attempts: 1,
    });
    return reply(res, 200, { id });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-email");
    if (req.method === "POST" && url.pathname === "/emails") {
      send(req, res).catch(() => fail(res, 500, "internal_server_error", "fake failed"));
      return;
    }
    if (req.method === "POST" && url.pathname === "/__faults") {
      readBody(req)
        .then((raw) => {
          const { to, failures } = JSON.parse(raw) as { to?: unknown; failures?: unknown };
          if (typeof to !== "string" || !Number.isInteger(failures)) throw new Error("shape");
          faults.set(to.toLowerCase(), failures as number);
          res.writeHead(204).end();
        })
        .catch(() => fail(res, 400, "validation_error", "expected {to, failures}"));
      return;
    }
    if (req.method === "GET" && url.pathname === "/__messages") {
      const to = url.searchParams.get("to");
      return reply(
        res,
        200,
        messages.filter((m) => !to || m.to.includes(to)),
      );
    }
    if (url.pathname === "/emails") {
      return fail(res, 405, "method_not_allowed", "Method is not allowed for the requested path.");
    }
    return fail(res, 404, "not_found", "The requested endpoint does not exist.");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        // A test that timed out on `slow@` may leave its request open; don't wait 3 s for it.
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
