import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/context";

// A caller's id is kept only when it is short and plain, so it is safe in logs and headers.
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : `req_${crypto.randomUUID()}`;
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
