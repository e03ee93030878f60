import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/context";
import { AppError } from "../lib/errors";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** The one test of "this body is JSON" (also what Hono's validator parses), e.g. `Application/JSON`, `application/x+json`. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return JSON_TYPE.test((contentType ?? "").split(";")[0]?.trim() ?? "");
}
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Where the sender posts an HTML form and cannot be asked for JSON: Instamojo's and Twilio's
 * webhooks, and the dev checkout page's buttons. Their handlers read the form themselves.
 */
const FORM_ROUTES = [
  /^\/v1\/webhooks\/instamojo\/?$/,
  /^\/v1\/webhooks\/twilio\/sms\/?$/,
  /^\/dev\/instamojo\//,
  // RFC 8058: mail clients one-click unsubscribe with `List-Unsubscribe=One-Click` as a form.
  /^\/v1\/unsubscribe\/?$/,
];

export function isFormContentType(contentType: string | undefined): boolean {
  return (
    (contentType ?? "").split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded"
  );
}

/**
 * A request that carries a body must say it is JSON: otherwise 415 instead of silently
 * validating an empty object. Bodiless writes (e.g. logout-all) pass.
 */
export function requireJson(): MiddlewareHandler<AppEnv> {
  return async function requireJsonMiddleware(c, next) {
    if (WITH_BODY.has(c.req.method)) {
      const length = c.req.header("Content-Length");
      const hasBody =
        (length !== undefined && length !== "0") ||
        c.req.header("Transfer-Encoding") !== undefined ||
        c.req.header("Content-Type") !== undefined;
      const type = c.req.header("Content-Type");
      const formAllowed = isFormContentType(type) && FORM_ROUTES.some((r) => r.test(c.req.path));
      if (hasBody && !isJsonContentType(type) && !formAllowed) {
        throw new AppError({
          code: "UNSUPPORTED_MEDIA_TYPE",
          detail: "Send the request body as application/json.",
          headers: { "Accept-Post": "application/json" },
        });
      }
    }
    await next();
  };
}
