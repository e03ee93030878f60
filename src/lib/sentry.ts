import type { CloudflareOptions } from "@sentry/cloudflare";

const SECRET_KEY = /pass(word)?|token|secret|authorization|cookie|api[-_]?key|session|otp|dsn/i;
const REDACTED = "[redacted]";

/** Recursively replaces values under secret-looking keys. Bounded depth: events are small. */
export function scrub<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : scrub(v, depth + 1);
  }
  return out as T;
}

function scrubUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    for (const key of [...u.searchParams.keys()]) {
      if (SECRET_KEY.test(key)) u.searchParams.set(key, REDACTED);
    }
    return u.toString();
  } catch {
    return url;
  }
}

/** Sentry options from raw bindings; no DSN → the SDK is disabled and sends nothing. */
export function sentryOptions(env: Partial<Env>): CloudflareOptions {
  const dsn = typeof env.SENTRY_DSN === "string" && env.SENTRY_DSN ? env.SENTRY_DSN : undefined;
  return {
    dsn,
    enabled: Boolean(dsn),
    environment: env.ENVIRONMENT ?? "development",
    release: env.SENTRY_RELEASE || env.CF_VERSION_METADATA?.id || undefined,
    // No cookies, bodies, query strings or credentials headers; user ids are set explicitly.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpBodies: [],
      urlQueryParams: false,
      httpHeaders: {
        request: { deny: ["authorization", "cookie", "x-api-key", "proxy-authorization"] },
        response: false,
      },
    },
    // Server faults only (handleError decides); no tracing by default: it costs CPU per request.
    tracesSampleRate: 0,
    beforeSend(event) {
      if (event.request) {
        const req = event.request;
        req.headers = scrub(req.headers);
        delete req.cookies;
        req.data = req.data === undefined ? undefined : REDACTED;
        req.url = scrubUrl(req.url);
        if (typeof req.query_string === "string") req.query_string = REDACTED;
      }
      event.extra = scrub(event.extra);
      event.contexts = scrub(event.contexts);
      event.breadcrumbs = event.breadcrumbs?.map((b) => ({ ...b, data: scrub(b.data) }));
      return event;
    },
  };
}
