import { AppError } from "../errors";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** Raised by idempotency_complete() (migration 0022) when the claim is no longer this request's. */
export const CLAIM_LOST_SQLSTATE = "IK409";

/** True when a service's transaction failed because its claim on the key was lost. */
export function isClaimLost(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    if (typeof e === "object" && (e as { code?: unknown }).code === CLAIM_LOST_SQLSTATE)
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export const keyMissing = () =>
  new AppError({
    code: "IDEMPOTENCY_KEY_MISSING",
    detail: `This operation requires an ${IDEMPOTENCY_KEY_HEADER} header: a unique value (e.g. a UUID) per operation, sent again unchanged on every retry.`,
  });

export const keyInvalid = (reason: string) =>
  new AppError({
    code: "VALIDATION_FAILED",
    detail: "The request header is invalid.",
    errors: [{ path: IDEMPOTENCY_KEY_HEADER, message: reason }],
  });

export const keyReused = () =>
  new AppError({
    code: "IDEMPOTENCY_KEY_REUSED",
    detail: `This ${IDEMPOTENCY_KEY_HEADER} was already used for a different request (method, path or body). Use a new key for a new request.`,
  });

export const keyInUse = (leaseLeftSeconds: number) =>
  new AppError({
    code: "IDEMPOTENCY_KEY_IN_USE",
    detail: `A request with this ${IDEMPOTENCY_KEY_HEADER} is still in progress. Retry after it has finished.`,
    headers: { "Retry-After": String(Math.min(5, Math.max(1, Math.ceil(leaseLeftSeconds)))) },
  });
