/**
 * A loopback TCP proxy that makes a local service look far away: every byte is delivered half a
 * round trip late in each direction, and a new connection carries no data for one round trip
 * first (a TCP handshake). No TLS is simulated. For the benchmarks' small request/response
 * traffic only: it queues without backpressure.
 *
 * It also counts round trips: `roundTrips(from, to)` is the number of handshakes plus client
 * "flights" (bytes sent after the last reply, or first) that started in the window and whose
 * reply reached the client inside it, i.e. the round trips a request in that window waited for.
 * A message nobody waits for (a Terminate after the response) has no reply in the window.
 */
import { connect, createServer, type Socket } from "node:net";

export interface DelayProxy {
  port: number;
  /** Round trips waited for between two `performance.now()` instants (see above). */
  roundTrips: (from: number, to: number) => number;
  close: () => Promise<void>;
}

interface Traffic {
  accepted: number;
  /** Arrival at the proxy, before the delay, of each chunk: from the client (up) or server. */
  chunks: { up: boolean; at: number }[];
}

export interface DelayProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** Added per round trip, in milliseconds. */
  rttMs: number;
}

/** Forwards `from` to `to` with a fixed delay, in order, not before `notBefore` (+ delay). */
function delayedPipe(from: Socket, to: Socket, delayMs: number, notBefore: number) {
  const queue: { at: number; chunk: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.at ?? 0) <= now) {
      const next = queue.shift();
      if (!to.writable) continue;
      if (next?.chunk) to.write(next.chunk);
      else to.end();
    }
    const head = queue[0];
    if (head) timer = setTimeout(pump, Math.max(0, head.at - now));
  };
  const enqueue = (chunk: Buffer | null) => {
    const now = performance.now();
    const last = queue.at(-1)?.at ?? 0;
    queue.push({ at: Math.max(now + delayMs, notBefore + delayMs, last), chunk });
    if (!timer) timer = setTimeout(pump, Math.max(0, (queue[0]?.at ?? now) - now));
  };
  from.on("data", (chunk: Buffer) => enqueue(chunk));
  from.on("end", () => enqueue(null));
  return () => {
    if (timer) clearTimeout(timer);
    queue.length = 0;
  };
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const host = opts.targetHost ?? "127.0.0.1";
  const half = opts.rttMs / 2;
  const sockets = new Set<Socket>();
  const traffic: Traffic[] = [];
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const seen: Traffic = { accepted: performance.now(), chunks: [] };
    traffic.push(seen);
    client.on("data", () => seen.chunks.push({ up: true, at: performance.now() }));
    const upstream = connect({ host, port: opts.targetPort, allowHalfOpen: true, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    // The client's first bytes could only leave after the handshake's round trip.
    const opened = performance.now() + opts.rttMs;
    const stopUp = delayedPipe(client, upstream, half, opened);
    const stopDown = delayedPipe(upstream, client, half, 0);
    upstream.on("data", () => seen.chunks.push({ up: false, at: performance.now() }));
    const destroy = () => {
      stopUp();
      stopDown();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", destroy);
    upstream.on("error", destroy);
    client.on("close", () => {
      // Let data already in flight arrive before tearing the other side down.
      setTimeout(destroy, opts.rttMs + 50);
    });
    upstream.on("close", () => setTimeout(destroy, opts.rttMs + 50));
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  return {
    port: (server.address() as { port: number }).port,
    roundTrips: (from, to) => {
      let trips = 0;
      for (const { accepted, chunks } of traffic) {
        if (accepted >= from && accepted <= to) trips++;
        chunks.forEach((chunk, i) => {
          const startsFlight = chunk.up && (i === 0 || !chunks[i - 1]?.up);
          if (!startsFlight || chunk.at < from) return;
          const reply = chunks.find((c, j) => j > i && !c.up);
          if (reply && reply.at + half <= to) trips++;
        });
      }
      return trips;
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}
