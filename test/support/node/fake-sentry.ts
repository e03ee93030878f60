/**
 * A local stand-in for Sentry's ingest endpoint: accepts envelopes exactly where the SDK sends
 * them (POST /api/<project>/envelope/) and lets tests read back what arrived.
 */
import { createServer, type Server } from "node:http";

export interface FakeSentry {
  port: number;
  dsn: string;
  close: () => Promise<void>;
}

export async function startFakeSentry(): Promise<FakeSentry> {
  const envelopes: { project: string; body: string; receivedAt: number }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-sentry");
    const ingest = url.pathname.match(/^\/api\/(\d+)\/envelope\/?$/);
    if (req.method === "POST" && ingest) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        envelopes.push({
          project: ingest[1] ?? "",
          body: Buffer.concat(chunks).toString("utf8"),
          receivedAt: Date.now(),
        });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      return;
    }
    if (req.method === "GET" && url.pathname === "/__envelopes") {
      const needle = url.searchParams.get("contains") ?? "";
      const found = envelopes.filter((e) => e.body.includes(needle));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(found));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    dsn: `http://publickey@127.0.0.1:${port}/4242`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
