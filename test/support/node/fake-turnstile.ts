/**
 * A local stand-in for Turnstile's siteverify (PROVIDERS.md §4):
 *   POST /turnstile/v0/siteverify   form or JSON: secret, response, remoteip?, idempotency_key?
 * answering `{success, challenge_ts, hostname, "error-codes", action, cdata}` like Cloudflare
 * does for its documented test secrets:
 *   1x0000000000000000000000000000000AA  passes any non-empty token
 *   2x0000000000000000000000000000000AA  fails: invalid-input-response
 *   3x0000000000000000000000000000000AA  fails: timeout-or-duplicate (already spent)
 * plus modes of this fake (not Cloudflare's): `fake-500-secret` → 500 and `fake-hang-secret`
 * → never answers. Any other secret → invalid-input-secret; none → missing-input-secret; no
 * token → missing-input-response; a token over 2048 characters → invalid-input-response.
 * `GET /__requests?response=<token>` returns what was posted (remoteip, idempotency_key, …).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export const FAKE_TURNSTILE_500_SECRET = "fake-500-secret";
export const FAKE_TURNSTILE_HANG_SECRET = "fake-hang-secret";

export interface FakeTurnstile {
  port: number;
  url: string;
  close: () => Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent || res.destroyed) return;
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

const refused = (codes: string[]) => ({ success: false, "error-codes": codes, messages: [] });

export async function startFakeTurnstile(): Promise<FakeTurnstile> {
  const requests: Record<string, string>[] = [];

  async function siteverify(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let fields: Record<string, string>;
    if ((req.headers["content-type"] ?? "").includes("application/json")) {
      try {
        const json = JSON.parse(raw) as Record<string, unknown>;
        fields = Object.fromEntries(
          Object.entries(json).filter((e): e is [string, string] => typeof e[1] === "string"),
        );
      } catch {
        return reply(res, 400, refused(["bad-request"]));
      }
    } else {
      fields = Object.fromEntries(new URLSearchParams(raw));
    }
    requests.push(fields);
    const { secret, response } = fields;
    if (secret === FAKE_TURNSTILE_500_SECRET) return reply(res, 500, refused(["internal-error"]));
    if (secret === FAKE_TURNSTILE_HANG_SECRET) return; // never answers; close() ends it
    if (!secret) return reply(res, 200, refused(["missing-input-secret"]));
    if (!response) return reply(res, 200, refused(["missing-input-response"]));
    if (response.length > 2048) return reply(res, 200, refused(["invalid-input-response"]));
    switch (secret) {
      case "1x0000000000000000000000000000000AA":
        return reply(res, 200, {
          success: true,
          challenge_ts: new Date().toISOString(),
          hostname: "example.com",
          "error-codes": [],
          action: "",
          cdata: "",
          metadata: { interactive: false },
        });
      case "2x0000000000000000000000000000000AA":
        return reply(res, 200, refused(["invalid-input-response"]));
      case "3x0000000000000000000000000000000AA":
        return reply(res, 200, refused(["timeout-or-duplicate"]));
      default:
        return reply(res, 200, refused(["invalid-input-secret"]));
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-turnstile");
    if (req.method === "POST" && url.pathname === "/turnstile/v0/siteverify") {
      siteverify(req, res).catch(() => reply(res, 500, refused(["internal-error"])));
      return;
    }
    if (req.method === "GET" && url.pathname === "/__requests") {
      const token = url.searchParams.get("response");
      return reply(
        res,
        200,
        requests.filter((r) => !token || r.response === token),
      );
    }
    if (url.pathname === "/turnstile/v0/siteverify") {
      return reply(res, 405, refused(["bad-request"]));
    }
    return reply(res, 404, { error: "not found" });
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
