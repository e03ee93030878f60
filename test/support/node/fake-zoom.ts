/**
 * A local stand-in for Zoom's Server-to-Server OAuth token endpoint and meetings API
 * (PROVIDERS.md §2), answering as Zoom does:
 *   POST /oauth/token                 Basic client_id:client_secret; grant_type=account_credentials
 *                                     and account_id in the form body or the query; bearer tokens
 *                                     that expire (expires_in, default 3600 s)
 *   POST /v2/users/{userId}/meetings  201 with id (number), join_url, start_url, …
 *   GET|PATCH|DELETE /v2/meetings/{id} 200 | 204 | 204; unknown id → 404 {"code":3001,…}
 *   401 {"code":124,"message":"Invalid access token."} for a missing, unknown, expired or
 *   revoked token; 400 {"code":300,…} for an invalid body.
 *
 * Everything is kept per account id, so each test takes a fresh account and shares nothing.
 * Test controls (not Zoom), under /__control/accounts/{account}:
 *   POST …/faults   {op, status?, retryAfter?, delayMs?, times?}: the next `times` (default 1;
 *                   -1 = always) calls of op (token|create|get|update|delete) wait delayMs, then
 *                   answer `status` (429 with Retry-After when given) or go on normally
 *   POST …/settings {tokenTtlSeconds}
 *   POST …/revoke-tokens   every token issued so far answers 401
 *   GET  …          {calls: {op: n}, meetings: [...], tokens: [...], tokenRequests: [...]}
 */
import { randomBytes, randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export const FAKE_ZOOM_CLIENT_ID = "fake_zoom_client_id_0123";
export const FAKE_ZOOM_CLIENT_SECRET = "fake-zoom-SECRET-9f8e7d6c5b4a3210";

type Op = "token" | "create" | "get" | "update" | "delete";

interface Fault {
  op: Op;
  status?: number;
  retryAfter?: string;
  delayMs?: number;
  /** Calls left; -1 = forever. */
  times: number;
}

interface Meeting {
  id: number;
  uuid: string;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  status: string;
  start_time?: string;
  duration?: number;
  timezone?: string;
  agenda?: string;
  created_at: string;
  start_url: string;
  join_url: string;
  password: string;
  settings: Record<string, unknown>;
}

interface Account {
  tokenTtlSeconds: number;
  faults: Fault[];
  calls: Record<Op, number>;
  meetings: Map<string, Meeting>;
  tokens: string[];
  /** What each token request looked like (no secrets: the scheme and where the fields were). */
  tokenRequests: { authScheme: string; grantIn: "body" | "query" | "none"; contentType: string }[];
}

export interface FakeZoom {
  port: number;
  url: string;
  close: () => Promise<void>;
}

function reply(res: ServerResponse, status: number, body?: unknown, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", ...headers });
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

const ZOOM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$/;

/** Zoom's create/update field rules, as far as this project relies on them. */
function invalidMeetingBody(body: Record<string, unknown>, creating: boolean): string | undefined {
  if (creating && (typeof body.topic !== "string" || body.topic.length === 0)) {
    return "Invalid field: topic.";
  }
  if (typeof body.topic === "string" && body.topic.length > 200) return "Invalid field: topic.";
  if (body.type !== undefined && ![1, 2, 3, 8].includes(body.type as number)) {
    return "Invalid field: type.";
  }
  if (body.start_time !== undefined && !ZOOM_TIME.test(String(body.start_time))) {
    return "Invalid field: start_time.";
  }
  if (
    body.duration !== undefined &&
    !(Number.isInteger(body.duration) && (body.duration as number) > 0)
  ) {
    return "Invalid field: duration.";
  }
  if (
    body.settings !== undefined &&
    (typeof body.settings !== "object" || body.settings === null)
  ) {
    return "Invalid field: settings.";
  }
  return undefined;
}

export async function startFakeZoom(
  clientId = FAKE_ZOOM_CLIENT_ID,
  clientSecret = FAKE_ZOOM_CLIENT_SECRET,
): Promise<FakeZoom> {
  const accounts = new Map<string, Account>();
  /** token → account id and expiry. */
  const issued = new Map<string, { account: string; expiresAt: number; revoked: boolean }>();
  let baseUrl = "";

  const account = (id: string): Account => {
    let a = accounts.get(id);
    if (!a) {
      a = {
        tokenTtlSeconds: 3600,
        faults: [],
        calls: { token: 0, create: 0, get: 0, update: 0, delete: 0 },
        meetings: new Map(),
        tokens: [],
        tokenRequests: [],
      };
      accounts.set(id, a);
    }
    return a;
  };

  /** Applies a fault for op, if one is queued. True when it answered the request. */
  async function fault(a: Account, op: Op, res: ServerResponse): Promise<boolean> {
    const f = a.faults.find((x) => x.op === op && x.times !== 0);
    if (!f) return false;
    if (f.times > 0) f.times--;
    if (f.delayMs) {
      await new Promise((r) => setTimeout(r, f.delayMs));
      if (res.destroyed) return true;
    }
    if (f.status === undefined) return false;
    if (f.status === 429) {
      reply(
        res,
        429,
        {
          code: 429,
          message:
            "You have reached the maximum per-second rate limit for this API. Try again later.",
        },
        {
          "x-ratelimit-category": "Medium",
          "x-ratelimit-type": "QPS",
          ...(f.retryAfter !== undefined ? { "retry-after": f.retryAfter } : {}),
        },
      );
    } else if (op === "token") {
      reply(res, f.status, { reason: "Internal Error", error: "server_error" });
    } else {
      reply(res, f.status, { code: f.status, message: "Internal server error." });
    }
    return true;
  }

  async function token(req: IncomingMessage, url: URL, res: ServerResponse) {
    const raw = await readBody(req);
    const form = new URLSearchParams(
      (req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded") ? raw : "",
    );
    const grant = form.get("grant_type") ?? url.searchParams.get("grant_type");
    const accountId = form.get("account_id") ?? url.searchParams.get("account_id");
    const auth = req.headers.authorization ?? "";
    if (accountId) {
      account(accountId).tokenRequests.push({
        authScheme: auth.split(" ")[0] ?? "",
        grantIn: form.get("grant_type")
          ? "body"
          : url.searchParams.get("grant_type")
            ? "query"
            : "none",
        contentType: req.headers["content-type"] ?? "",
      });
    }
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
    if (auth !== expected) {
      return reply(res, 400, {
        reason: "Invalid client_id or client_secret",
        error: "invalid_client",
      });
    }
    if (grant !== "account_credentials") {
      return reply(res, 400, { reason: "Unsupported grant type", error: "unsupported_grant_type" });
    }
    if (!accountId || !/^[\w-]{1,64}$/.test(accountId)) {
      return reply(res, 400, { reason: "Invalid request : Bad Request", error: "invalid_request" });
    }
    const a = account(accountId);
    a.calls.token++;
    if (await fault(a, "token", res)) return;
    const accessToken = `fake-zoom-token-${randomBytes(24).toString("base64url")}`;
    issued.set(accessToken, {
      account: accountId,
      expiresAt: Date.now() + a.tokenTtlSeconds * 1000,
      revoked: false,
    });
    a.tokens.push(accessToken);
    return reply(res, 200, {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: a.tokenTtlSeconds,
      scope:
        "meeting:write:meeting:admin meeting:read:meeting:admin meeting:update:meeting:admin meeting:delete:meeting:admin",
      api_url: "https://api.zoom.us",
    });
  }

  /**
   * The account a bearer token belongs to, counting the call against it (401s included), or
   * undefined after answering 401.
   */
  function authorise(req: IncomingMessage, res: ServerResponse, op: Op): string | undefined {
    const auth = req.headers.authorization ?? "";
    const t = auth.startsWith("Bearer ") ? issued.get(auth.slice("Bearer ".length)) : undefined;
    if (t) account(t.account).calls[op]++;
    if (!t || t.revoked) {
      reply(res, 401, { code: 124, message: "Invalid access token." });
      return undefined;
    }
    if (t.expiresAt <= Date.now()) {
      reply(res, 401, { code: 124, message: "Access token is expired." });
      return undefined;
    }
    return t.account;
  }

  async function jsonBody(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    try {
      const body = JSON.parse(raw || "{}");
      if (typeof body === "object" && body !== null && !Array.isArray(body)) {
        return body as Record<string, unknown>;
      }
    } catch {
      /* below */
    }
    reply(res, 400, { code: 300, message: "Request Body should be a valid JSON object." });
    return undefined;
  }

  async function api(req: IncomingMessage, url: URL, res: ServerResponse) {
    const create = /^\/v2\/users\/([^/]+)\/meetings$/.exec(url.pathname);
    const one = /^\/v2\/meetings\/([^/]+)$/.exec(url.pathname);
    const op: Op | undefined =
      create && req.method === "POST"
        ? "create"
        : one && req.method === "GET"
          ? "get"
          : one && req.method === "PATCH"
            ? "update"
            : one && req.method === "DELETE"
              ? "delete"
              : undefined;
    if (!op) return reply(res, 404, { code: 404, message: "Not Found" });
    const accountId = authorise(req, res, op);
    if (!accountId) return;
    const a = account(accountId);
    if (await fault(a, op, res)) return;

    if (op === "create") {
      const body = await jsonBody(req, res);
      if (!body) return;
      const invalid = invalidMeetingBody(body, true);
      if (invalid) return reply(res, 400, { code: 300, message: invalid });
      const userId = decodeURIComponent(create?.[1] ?? "");
      const id = randomInt(10_000_000_000, 99_999_999_999);
      const password = randomBytes(4).toString("hex").slice(0, 6);
      const meeting: Meeting = {
        id,
        uuid: randomBytes(16).toString("base64"),
        host_id: randomBytes(16).toString("base64url").slice(0, 22),
        host_email: userId.includes("@") ? userId : "host@fake-zoom.test",
        topic: String(body.topic),
        type: (body.type as number | undefined) ?? 2,
        status: "waiting",
        start_time: body.start_time as string | undefined,
        duration: body.duration as number | undefined,
        timezone: body.timezone as string | undefined,
        agenda: body.agenda as string | undefined,
        created_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        start_url: `${baseUrl}/s/${id}?zak=${randomBytes(12).toString("base64url")}`,
        join_url: `${baseUrl}/j/${id}?pwd=${password}`,
        password,
        settings: (body.settings as Record<string, unknown> | undefined) ?? {},
      };
      a.meetings.set(String(id), meeting);
      return reply(res, 201, meeting);
    }

    const id = one?.[1] ?? "";
    const meeting = a.meetings.get(id);
    if (!meeting) {
      await readBody(req);
      return reply(res, 404, { code: 3001, message: `Meeting does not exist: ${id}.` });
    }
    if (op === "get") return reply(res, 200, meeting);
    if (op === "delete") {
      a.meetings.delete(id);
      return reply(res, 204);
    }
    const body = await jsonBody(req, res);
    if (!body) return;
    const invalid = invalidMeetingBody(body, false);
    if (invalid) return reply(res, 400, { code: 300, message: invalid });
    for (const key of ["topic", "start_time", "duration", "timezone", "agenda"] as const) {
      if (body[key] !== undefined) (meeting as unknown as Record<string, unknown>)[key] = body[key];
    }
    if (body.settings) meeting.settings = { ...meeting.settings, ...(body.settings as object) };
    return reply(res, 204);
  }

  async function control(req: IncomingMessage, url: URL, res: ServerResponse) {
    const m = /^\/__control\/accounts\/([\w-]{1,64})(?:\/([\w-]+))?$/.exec(url.pathname);
    if (!m?.[1]) return reply(res, 404, { error: "unknown control" });
    const a = account(m[1]);
    const action = m[2];
    if (req.method === "GET" && !action) {
      return reply(res, 200, {
        calls: a.calls,
        meetings: [...a.meetings.values()],
        tokens: a.tokens,
        tokenRequests: a.tokenRequests,
      });
    }
    if (req.method !== "POST") return reply(res, 405, { error: "method" });
    const body = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
    if (action === "faults") {
      a.faults.push({
        op: body.op as Op,
        status: body.status as number | undefined,
        retryAfter: body.retryAfter as string | undefined,
        delayMs: body.delayMs as number | undefined,
        times: (body.times as number | undefined) ?? 1,
      });
      return reply(res, 204);
    }
    if (action === "settings") {
      if (typeof body.tokenTtlSeconds === "number") a.tokenTtlSeconds = body.tokenTtlSeconds;
      return reply(res, 204);
    }
    if (action === "revoke-tokens") {
      for (const t of a.tokens) {
        const entry = issued.get(t);
        if (entry) entry.revoked = true;
      }
      return reply(res, 204);
    }
    return reply(res, 404, { error: "unknown control" });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-zoom");
    let work: Promise<void>;
    if (url.pathname === "/oauth/token" && req.method === "POST") work = token(req, url, res);
    else if (url.pathname.startsWith("/v2/")) work = api(req, url, res);
    else if (url.pathname.startsWith("/__control/")) work = control(req, url, res);
    else work = Promise.resolve(reply(res, 404, { code: 404, message: "Not Found" }));
    work.catch(() => reply(res, 500, { code: 500, message: "fake failed" }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    url: baseUrl,
    close: () =>
      new Promise((ok) => {
        // A test that timed out on a slow answer may leave its request open.
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
