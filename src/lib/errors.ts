/**
 * The closed list of error codes. Each has one HTTP status and a stable, friendly title;
 * clients branch on `code`, never on `detail`.
 */
export const errorCatalog = {
  VALIDATION_FAILED: { status: 400, title: "The request is invalid" },
  MALFORMED_REQUEST: { status: 400, title: "The request could not be read" },
  IDEMPOTENCY_KEY_MISSING: { status: 400, title: "An Idempotency-Key header is required" },
  TURNSTILE_FAILED: { status: 400, title: "The human verification (Turnstile) failed" },
  UNAUTHENTICATED: { status: 401, title: "Authentication is required" },
  FORBIDDEN: { status: 403, title: "You are not allowed to do this" },
  NOT_FOUND: { status: 404, title: "The resource was not found" },
  METHOD_NOT_ALLOWED: { status: 405, title: "This method is not allowed here" },
  CONFLICT: { status: 409, title: "The request conflicts with the current state" },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: "A request with this idempotency key is still in progress",
  },
  BATCH_FULL: { status: 409, title: "The batch has no seats left" },
  ENROLMENT_CLOSED: { status: 409, title: "The batch is not taking enrolments" },
  WHATSAPP_WINDOW_CLOSED: {
    status: 409,
    title: "WhatsApp allows only a template more than 24 hours after the contact last wrote",
  },
  CONTACT_OPTED_OUT: { status: 409, title: "The contact opted out of messages on this channel" },
  TICKET_CLOSED: {
    status: 409,
    title: "The ticket can no longer be replied to: open a new ticket",
  },
  ATTACHMENT_LIMIT: { status: 409, title: "The ticket has as many attachments as it may" },
  CERTIFICATE_REVOKED: { status: 410, title: "The certificate was revoked" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The content type is not supported" },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: "This idempotency key was used for a different request",
  },
  UNPROCESSABLE: { status: 422, title: "The request is valid but cannot be carried out" },
  CONTACT_UNREACHABLE: { status: 422, title: "The contact has no address on this channel" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL_ERROR: { status: 500, title: "Something went wrong on our side" },
  BAD_ENVIRONMENT: { status: 500, title: "The service is misconfigured" },
  EXTERNAL_SERVICE_ERROR: { status: 502, title: "An upstream service failed" },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: "A dependency is unavailable" },
  WEBHOOK_NOT_CONFIGURED: { status: 503, title: "This webhook is not configured" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;
export const errorCodes = Object.keys(errorCatalog) as [ErrorCode, ...ErrorCode[]];

export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  code: ErrorCode;
  /** Safe to show to the client. */
  detail?: string;
  errors?: FieldError[];
  /** Extra problem members (e.g. `dependency`, `policies`); must be safe to show. */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number };

/** The one error type services throw. Transport-free: the status comes from the catalog. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly extensions?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(opts: AppErrorOptions) {
    // Expected outcomes (400s, 429s) need no stack, and capturing one is the costliest part of
    // a denied request; server faults keep the stack of their `cause`.
    const limit = V8Error.stackTraceLimit;
    V8Error.stackTraceLimit = 0;
    try {
      super(opts.detail ?? errorCatalog[opts.code].title, { cause: opts.cause });
    } finally {
      V8Error.stackTraceLimit = limit;
    }
    this.name = "AppError";
    this.code = opts.code;
    this.detail = opts.detail ?? errorCatalog[opts.code].title;
    this.errors = opts.errors;
    this.extensions = opts.extensions;
    this.headers = opts.headers;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export const notFound = (detail = "The resource was not found.") =>
  new AppError({ code: "NOT_FOUND", detail });
export const conflict = (detail: string) => new AppError({ code: "CONFLICT", detail });
export const forbidden = (detail = "You are not allowed to do this.") =>
  new AppError({ code: "FORBIDDEN", detail });
export const unauthenticated = (detail = "A valid access token is required.") =>
  new AppError({ code: "UNAUTHENTICATED", detail });
export const validationFailed = (errors: FieldError[], detail = "The request is invalid.") =>
  new AppError({ code: "VALIDATION_FAILED", detail, errors });

export function dependencyUnavailable(dependency: string, cause?: unknown, retryAfterSeconds = 5) {
  return new AppError({
    code: "DEPENDENCY_UNAVAILABLE",
    detail: `The ${dependency} dependency is unavailable. Please retry shortly.`,
    extensions: { dependency },
    headers: { "Retry-After": String(retryAfterSeconds) },
    cause,
  });
}

export function externalServiceError(service: string, cause?: unknown) {
  return new AppError({
    code: "EXTERNAL_SERVICE_ERROR",
    detail: `The ${service} service failed to answer correctly.`,
    extensions: { service },
    cause,
  });
}
