import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/context";

/**
 * A caller's X-Request-Id is kept only when it is short and plain (8–64 of [A-Za-z0-9._:-]):
 * it goes into logs, response headers, error_logs and audit_logs rows. Anything else is
 * replaced by our own id, so no client can put long or odd text into those tables.
 */
export const MAX_REQUEST_ID_LENGTH = 64;
const SANE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : `req_${crypto.randomUUID()}`;
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
