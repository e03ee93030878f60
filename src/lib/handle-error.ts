import * as Sentry from "@sentry/cloudflare";
import { HTTPException } from "hono/http-exception";
import { isDatabaseUnavailable } from "../db/client";
import type { AppContext } from "./context";
import { recordServerFault } from "./error-log";
import { AppError, dependencyUnavailable } from "./errors";
import { isClaimLost, keyInUse } from "./idempotency/errors";
import { problemResponse } from "./problem";

/** Maps anything thrown to the one error model. Unknown errors never leak their message. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    switch (err.status) {
      case 400:
        return new AppError({
          code: "MALFORMED_REQUEST",
          detail: /malformed json/i.test(err.message)
            ? "The request body is not valid JSON."
            : "The request body could not be parsed.",
          cause: err,
        });
      case 401:
        return new AppError({ code: "UNAUTHENTICATED", cause: err });
      case 404:
        return new AppError({ code: "NOT_FOUND", cause: err });
      case 413:
        return new AppError({ code: "PAYLOAD_TOO_LARGE", cause: err });
      case 415:
        return new AppError({ code: "UNSUPPORTED_MEDIA_TYPE", cause: err });
    }
  }
  if (isDatabaseUnavailable(err)) return dependencyUnavailable("postgres", err);
  // The request's Idempotency-Key was taken over by a retry: its transaction rolled back.
  if (isClaimLost(err)) return keyInUse(1);
  return new AppError({
    code: "INTERNAL_ERROR",
    detail: "An unexpected error occurred.",
    cause: err,
  });
}

/** The app's onError: problem+json for everything; server faults go to Sentry and error_logs. */
export function handleError(err: unknown, c: AppContext): Response {
  const appError = toAppError(err);
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (appError.status >= 500) reportServerFault(c, err, appError, requestId);
  return problemResponse(appError, new URL(c.req.url).pathname, requestId);
}

function reportServerFault(
  c: AppContext,
  original: unknown,
  appError: AppError,
  requestId: string,
) {
  const route = c.req.routePath;
  const userId = c.get("userId");
  const cause = original instanceof AppError && original.cause ? original.cause : original;
  const error = redactQueryParams(cause instanceof Error ? cause : new Error(String(cause)));
  Sentry.captureException(error, {
    tags: { code: appError.code, requestId, route, method: c.req.method },
    user: userId ? { id: userId } : undefined,
  });
  const config = c.get("config");
  if (!config) return; // BAD_ENVIRONMENT: no database to write to.
  c.get("services")?.logger.error("server fault", {
    code: appError.code,
    error: error.name,
    message: error.message.slice(0, 300),
  });
  const write = recordServerFault(config, {
    severity: appError.status === 503 ? "warning" : "error",
    code: appError.code,
    status: appError.status,
    message: describeChain(error),
    stack: error.stack,
    route,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    requestId,
    userId,
    userAgent: c.req.header("User-Agent"),
    // Which dependency a 503 is about: a database outage opens no connection to log itself.
    dependency:
      typeof appError.extensions?.dependency === "string"
        ? appError.extensions.dependency
        : undefined,
  });
  try {
    c.executionCtx.waitUntil(write);
  } catch {
    // No execution context (plain app.request in a unit test): let it finish on its own.
  }
}

/** Drizzle puts bound parameters (possibly secrets) into its messages; keep the SQL, drop them. */
export function redactQueryParams(err: Error): Error {
  const message = err.message.replace(/\nparams:[\s\S]*$/, "\nparams: [redacted]");
  if (message === err.message) return err;
  const copy = new Error(message, { cause: err.cause });
  copy.name = err.name;
  copy.stack = err.stack?.replace(err.message, message);
  return copy;
}

/** "Name: message" for the error and its causes (driver errors hide behind Drizzle's). */
function describeChain(err: Error): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    parts.push(`${e.name}: ${e.message}`);
    e = e.cause;
  }
  return parts.join(" <- caused by ");
}
