/**
 * A local stand-in for the WhatsApp Cloud API's send endpoint (PROVIDERS.md §3):
 *   POST /{version}/{phoneNumberId}/messages   Bearer FAKE_WHATSAPP_TOKEN
 * answering `{messaging_product, contacts:[{input, wa_id}], messages:[{id:"wamid.…"}]}`, or
 * Graph's `{error:{message, type, code, error_data:{details}, fbtrace_id}}`:
 *   401 code 190 for a missing or wrong token; 400 code 100 for a body Meta would refuse.
 *
 * Magic recipients (the last four digits of `to`):
 *   …0500 → 500 code 131000; …0429 → 429 code 130429 with `Retry-After: 7`;
 *   …0456 → 400 code 131056 (pair rate limit, no Retry-After); …0047 → 400 code 131047
 *   (outside the 24-hour window); …0408 → never answers (timeouts).
 * Test controls (not Meta):
 *   POST /__faults {to, failures}  the next `failures` sends to `to` (digits, "+" optional)
 *                                  answer 503 code 131016, then sends succeed again
 *   GET  /__messages?to=           accepted messages ({to: "+…", request, id, receivedAt});
 *                                  every accepted POST is one delivery (no idempotency keys)
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export const FAKE_WHATSAPP_TOKEN = "EAAG-fake-whatsapp-token-0123456789";

export interface FakeWhatsApp {
  port: number;
  url: string;
  close: () => Promise<void>;
}

export interface ReceivedWhatsApp {
  id: string;
  phoneNumberId: string;
  version: string;
  /** E.164 with "+", for filtering. */
  to: string;
  type: string;
  request: Record<string, unknown>;
  receivedAt: number;
}

function reply(res: ServerResponse, status: number, body: unknown, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function graphError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  details?: string,
  headers = {},
) {
  reply(
    res,
    status,
    {
      error: {
        message,
        type: "OAuthException",
        code,
        ...(details ? { error_data: { messaging_product: "whatsapp", details } } : {}),
        fbtrace_id: randomBytes(9).toString("base64url"),
      },
    },
    headers,
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Digits only: a "+" that arrived unencoded in a query string reads as a space. */
const digits = (v: unknown) => String(v ?? "").replace(/\D/g, "");

/** Meta's shape rules as far as this project relies on them; undefined when valid. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (body.messaging_product !== "whatsapp") return "Param messaging_product is required";
  if (typeof body.to !== "string" || !/^\d{8,15}$/.test(body.to)) {
    return "Param to must be a phone number in international format without '+'";
  }
  if (
    body.biz_opaque_callback_data !== undefined &&
    (typeof body.biz_opaque_callback_data !== "string" ||
      body.biz_opaque_callback_data.length > 512)
  ) {
    return "Param biz_opaque_callback_data must be at most 512 characters";
  }
  if (body.type === "text") {
    const text = body.text as { body?: unknown } | undefined;
    if (typeof text?.body !== "string" || text.body.length === 0 || text.body.length > 4096) {
      return "Param text['body'] must be 1 to 4096 characters";
    }
    return undefined;
  }
  if (body.type === "template") {
    const t = body.template as Record<string, unknown> | undefined;
    if (typeof t?.name !== "string" || !/^[a-z0-9_]{1,512}$/.test(t.name)) {
      return "Param template['name'] is invalid";
    }
    const language = t.language as { code?: unknown } | undefined;
    if (typeof language?.code !== "string" || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language.code)) {
      return "Param template['language']['code'] is invalid";
    }
    if (t.components !== undefined) {
      if (!Array.isArray(t.components)) return "Param template['components'] must be an array";
      for (const c of t.components as Record<string, unknown>[]) {
        if (!["header", "body", "button"].includes(String(c?.type))) {
          return "Param template['components'][0]['type'] is invalid";
        }
        const params = c.parameters;
        if (
          !Array.isArray(params) ||
          !params.every(
            (p: { type?: unknown; text?: unknown }) =>
              p?.type === "text" && typeof p.text === "string" && p.text.length > 0,
          )
        ) {
          return "Param template['components'][0]['parameters'] is invalid";
        }
      }
    }
    return undefined;
  }
  return `Param type must be one of {text, template, …}, got ${String(body.type)}`;
}

export async function startFakeWhatsApp(token = FAKE_WHATSAPP_TOKEN): Promise<FakeWhatsApp> {
  const messages: ReceivedWhatsApp[] = [];
  const faults = new Map<string, number>();

  async function send(req: IncomingMessage, res: ServerResponse, version: string, phone: string) {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw 0;
      body = parsed as Record<string, unknown>;
    } catch {
      return graphError(res, 400, 100, "(#100) Invalid parameter", "The request body is not JSON");
    }
    const why = invalid(body);
    if (why) return graphError(res, 400, 100, "(#100) Invalid parameter", why);

    const to = digits(body.to);
    const left = faults.get(to) ?? 0;
    if (left > 0) {
      faults.set(to, left - 1);
      return graphError(
        res,
        503,
        131016,
        "Service unavailable",
        "A service is temporarily unavailable.",
      );
    }
    if (to.endsWith("0500")) {
      return graphError(res, 500, 131000, "Something went wrong", "Something went wrong");
    }
    if (to.endsWith("0429")) {
      return graphError(
        res,
        429,
        130429,
        "Rate limit hit",
        "Cloud API message throughput has been reached.",
        { "retry-after": "7" },
      );
    }
    if (to.endsWith("0456")) {
      return graphError(
        res,
        400,
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from this phone number to the same phone number in a short period of time.",
      );
    }
    if (to.endsWith("0047")) {
      return graphError(
        res,
        400,
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
      );
    }
    if (to.endsWith("0408")) return; // never answers; close() ends it

    const id = `wamid.${randomBytes(24).toString("base64url")}`;
    messages.push({
      id,
      phoneNumberId: phone,
      version,
      to: `+${to}`,
      type: String(body.type),
      request: body,
      receivedAt: Date.now(),
    });
    return reply(res, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: body.to, wa_id: to }],
      messages: [{ id }],
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
    const url = new URL(req.url ?? "/", "http://fake-whatsapp");
    const send_ = /^\/(v\d+\.\d+)\/(\d{1,30})\/messages$/.exec(url.pathname);
    const fail = () => reply(res, 500, { error: { message: "fake failed", code: 1 } });
    if (req.method === "POST" && send_) {
      send(req, res, send_[1] ?? "", send_[2] ?? "").catch(fail);
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
        messages.filter((m) => !to || m.to === `+${digits(to)}`),
      );
    }
    return graphError(res, 400, 100, "Unsupported request - method type: get");
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
