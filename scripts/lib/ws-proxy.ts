/**
 * The WebSocket->TCP proxy the Neon driver needs to reach a plain Postgres locally (Neon's
 * endpoints speak WebSocket themselves). Loopback targets only; Nagle off; backpressure kept.
 */
import { createRequire } from "node:module";
import { connect } from "node:net";
import type * as WsModule from "ws";

// Loaded through require: bundler-style resolvers (vitest's) may pick ws's browser stub.
const { createWebSocketStream, WebSocketServer } = createRequire(import.meta.url)(
  "ws",
) as typeof WsModule;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export interface WsProxy {
  port: number;
  close: () => Promise<void>;
}

export async function startWsProxy(port: number, host = "127.0.0.1"): Promise<WsProxy> {
  const wss = new WebSocketServer({ host, port, path: "/v1", perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://proxy").searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const targetHost = address.slice(0, sep);
    const targetPort = Number(address.slice(sep + 1));
    if (sep < 0 || !LOOPBACK.has(targetHost) || !Number.isInteger(targetPort)) {
      ws.close(1008, "only loopback Postgres targets are allowed");
      return;
    }
    const tcp = connect({ host: targetHost.replace(/^\[|\]$/g, ""), port: targetPort });
    tcp.setNoDelay(true);
    const stream = createWebSocketStream(ws);
    const fail = () => {
      stream.destroy();
      tcp.destroy();
    };
    tcp.on("error", fail);
    stream.on("error", fail);
    // Postgres closing its side ends the WebSocket with a close frame, not an abrupt reset
    // (which the driver would report as an error on every normal disconnect).
    tcp.on("close", () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
    stream.on("close", () => tcp.destroy());
    stream.pipe(tcp).pipe(stream);
  });
  await new Promise<void>((ok, fail) => {
    wss.once("listening", ok);
    wss.once("error", (err: NodeJS.ErrnoException) =>
      fail(
        err.code === "EADDRINUSE"
          ? new Error(`port ${port} (Neon WebSocket proxy) is already in use`)
          : err,
      ),
    );
  });
  const actual = (wss.address() as { port: number }).port;
  return {
    port: actual,
    close: () =>
      new Promise<void>((ok) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => ok());
      }),
  };
}
