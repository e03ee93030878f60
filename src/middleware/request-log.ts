import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/context";

/** One structured line per request. Path only (no query string), never headers or bodies. */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = Date.now();
    await next();
    const line = {
      level: c.res.status >= 500 ? "error" : "info",
      msg: "request",
      method: c.req.method,
      route: c.req.routePath,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      // Workers freeze the clock during CPU work; this is wall time spent waiting on I/O.
      durationMs: Date.now() - started,
      requestId: c.get("requestId"),
      userId: c.get("userId"),
    };
    if (c.res.status >= 500) console.error(JSON.stringify(line));
    else if (c.get("config")?.LOG_LEVEL !== "warn" && c.get("config")?.LOG_LEVEL !== "error") {
      console.info(JSON.stringify(line));
    }
  };
}
