import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../lib/context";
import { AppError } from "../lib/errors";

/** Rejects bodies over MAX_BODY_BYTES with 413, by Content-Length or while streaming. */
export function bodyLimitFromConfig(): MiddlewareHandler<AppEnv> {
  const bySize = new Map<number, MiddlewareHandler>();
  return async function bodyLimitMiddleware(c, next) {
    const maxSize = c.get("config").MAX_BODY_BYTES;
    let limiter = bySize.get(maxSize);
    if (!limiter) {
      limiter = bodyLimit({
        maxSize,
        onError: () => {
          throw new AppError({
            code: "PAYLOAD_TOO_LARGE",
            detail: `The request body must be at most ${maxSize} bytes.`,
            extensions: { maxBytes: maxSize },
          });
        },
      });
      bySize.set(maxSize, limiter);
    }
    return limiter(c, next);
  };
}
