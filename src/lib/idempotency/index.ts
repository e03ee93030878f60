/** The `Idempotency-Key` middleware for creating POSTs (README: Idempotency). */
export { IDEMPOTENCY_KEY_HEADER, isClaimLost, keyInUse } from "./errors";
export {
  type Idempotency,
  type IdempotencyOptions,
  type IdempotentResponse,
  idempotency,
  REPLAYED_HEADER,
} from "./middleware";
export { idempotencyKeyHeaders } from "./openapi";
export { DEFAULT_LEASE_SECONDS, RETENTION_HOURS } from "./store";
