/**
 * A local stand-in for Twilio's Messages API (PROVIDERS.md §6):
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json   Basic AccountSid:FAKE_TWILIO_AUTH_TOKEN
 * form-encoded To, From or MessagingServiceSid, Body, StatusCallback; 201 with the Message
 * JSON (`sid` SM…, `status` queued, or accepted through a messaging service). Errors as Twilio
 * writes them, `{code, message, more_info, status}`: 401 code 20003 (auth), 400 code 21211
 * (bad To), 21603 (no sender), 21602 (no Body), 21617 (Body over 1600), 21609 (bad callback).
 * Any account SID (AC + 32 hex) works with the one auth token, so tests can take their own.
 *
 * Magic recipients (the last four digits of `To`):
 *   …0500 → 500 code 20500; …0429 → 429 code 20429 with Retry-After as an HTTP-date 30 s ahead;
 *   …0610 → 400 code 21610 (recipient opted out); …0408 → never answers (timeouts).
 * Test controls (not Twilio):
 *   POST /__faults {to, failures}  the next `failures` sends to `to` answer 503 code 20503
 *   GET  /__messages?to=           accepted messages, each POST one delivery (Twilio has no
 *                                  idempotency keys), with the form as sent and the account
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export const FAKE_TWILIO_AUTH_TOKEN = "fake_twilio_auth_token_0123456789ab";

export interface FakeTwilio {
  port: number;
  url: string;
  close: () => Promise<void>;
}

export interface ReceivedSms {
  sid: string;
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  form: Record<string, string>;
  receivedAt: number;
}

function reply(res: ServerResponse, status: number, body: unknown, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

const twilioError = (
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers = {},
) =>
  reply(
    res,
    status,
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    headers,
  );

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const E164 = /^\+[1-9]\d{7,14}$/;
/** Digits only: a "+" that arrived unencoded in a query string reads as a space. */
const digits = (v: string) => v.replace(/\D/g, "");
const hex = (n: number) => randomBytes(n).toString("hex");

export async function startFakeTwilio(authToken = FAKE_TWILIO_AUTH_TOKEN): Promise<FakeTwilio> {
  const messages: ReceivedSms[] = [];
  const faults = new Map<string, number>();

  async function send(req: IncomingMessage, res: ServerResponse, accountSid: string) {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      return twilioError(res, 401, 20003, "Authenticate");
    }
    if (!(req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) {
      return twilioError(res, 400, 21602, "Message body is required.");
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get("To") ?? "";
    const from = form.get("From") ?? undefined;
    const service = form.get("MessagingServiceSid") ?? undefined;
    const body = form.get("Body") ?? "";
    const callback = form.get("StatusCallback") ?? undefined;
    if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) {
      return twilioError(res, 400, 21211, `Invalid 'To' Phone Number: ${to.slice(0, 20)}`);
    }
    if (!from && !service)
      return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (service && !/^MG[0-9a-f]{32}$/.test(service)) {
      return twilioError(res, 400, 21701, "The Messaging Service Sid is invalid.");
    }
    if (!body) return twilioError(res, 400, 21602, "Message body is required.");
    if (body.length > 1600) {
      return twilioError(
        res,
        400,
        21617,
        "The concatenated message body exceeds the 1600 character limit.",
      );
    }
    if (callback !== undefined && !/^https?:\/\/\S+$/.test(callback)) {
      return twilioError(res, 400, 21609, "Invalid StatusCallback url");
    }

    const key = digits(to);
    const left = faults.get(key) ?? 0;
    if (left > 0) {
      faults.set(key, left - 1);
      return twilioError(res, 503, 20503, "Service unavailable");
    }
    if (key.endsWith("0500")) return twilioError(res, 500, 20500, "Internal Server Error");
    if (key.endsWith("0429")) {
      return twilioError(res, 429, 20429, "Too Many Requests", {
        "retry-after": new Date(Date.now() + 30_000).toUTCString(),
      });
    }
    if (key.endsWith("0610")) {
      return twilioError(res, 400, 21610, "Attempt to send to unsubscribed recipient");
    }
    if (key.endsWith("0408")) return; // never answers; close() ends it

    const sid = `SM${hex(16)}`;
    const now = new Date().toUTCString();
    messages.push({
      sid,
      accountSid,
      to,
      from,
      messagingServiceSid: service,
      body,
      statusCallback: callback,
      form: Object.fromEntries(form),
      receivedAt: Date.now(),
    });
    return reply(res, 201, {
      account_sid: accountSid,
      api_version: "2010-04-01",
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: service ?? null,
      num_media: "0",
      num_segments: String(Math.max(1, Math.ceil(body.length / 153))),
      price: null,
      price_unit: "USD",
      sid,
      status: service ? "accepted" : "queued",
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  }

  async function setFault(req: IncomingMessage, res: ServerResponse) {
    try {
      const { to, failures } = JSON.parse(await readBody(req)) as {
        to?: unknown;
        failures?: unknown;
      };
      if (typeof to !== "string" || !Number.isInteger(failures)) throw 0;
      faults.set(digits(to), failures as number);
      res.writeHead(204).end();
    } catch {
      reply(res, 400, { error: "expected {to, failures}" });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-twilio");
    const path = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\.json$/.exec(url.pathname);
    const fail = () => twilioError(res, 500, 20500, "Internal Server Error");
    if (req.method === "POST" && path) {
      send(req, res, path[1] ?? "").catch(fail);
      return;
    }
    if (req.method === "POST" && url.pathname === "/__faults") {
      setFault(req, res).catch(fail);
      return;
    }
    if (req.method === "GET" && url.pathname === "/__messages") {
      const to = url.searchParams.get("to");
      return reply(
        res,
        200,
        messages.filter((m) => !to || digits(m.to) === digits(to)),
      );
    }
    return twilioError(res, 404, 20404, "The requested resource was not found");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
