/**
 * Operator verbs on one identity's limiter state, transport-free: admin routes validate input,
 * check the caller's role, write the audit row, and call these. Each returns plain data.
 *
 * Reach: the object is the source of truth, so a reset or override applies at once to exact
 * policies' next object call. Isolates that short-circuited the key keep denying until their
 * cached retry time (the safe direction); fast-mode isolates adopt it with their next sync (one
 * sync interval for keys they synced before). This isolate's caches are cleared right away.
 */
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { validationFailed } from "../errors";
import { isolateDenials } from "./client";
import { isolateFastState } from "./fast";
import type { Policy } from "./policies";
import type { LimitState, Override } from "./types";

type Namespace = DurableObjectNamespace<RateLimiter>;

export interface KeyRef {
  namespace: Namespace;
  policy: Pick<Policy, "name" | "limit">;
  /**
   * The limiter identity as the middleware builds it: `user:<id>`, `ip:<address>`, or for a
   * second key `account:<sha-256 prefix>` (see `extraKeyIdentity`).
   */
  identity: string;
}

export interface KeyState {
  policy: string;
  identity: string;
  limits: LimitState[];
  override: Override | null;
}

/** The object that holds a policy's counters for an identity. */
export function objectKeyOf(policyName: string, identity: string): string {
  return `${policyName}:${identity}`;
}

export async function getKeyState(ref: KeyRef & { now?: number }): Promise<KeyState> {
  const state = await stubOf(ref).getState(undefined, ref.now ?? Date.now());
  return { policy: ref.policy.name, identity: ref.identity, ...state };
}

export async function resetKey(ref: KeyRef): Promise<{ deleted: number }> {
  const result = await stubOf(ref).reset();
  forgetLocally(ref);
  return result;
}

export type OverrideAction =
  | { action: "raise"; limit: number }
  | { action: "lower"; limit: number }
  | { action: "block"; until: number }
  | { action: "clear" };

/** Overrides are temporary: a forgotten block or raise lapses within a week. */
export const MAX_OVERRIDE_MS = 7 * 24 * 3_600_000;
/** A raise is at most this many times the policy's limit. */
export const MAX_RAISE_FACTOR = 10;

/**
 * Raise or lower an identity's limits (every limit of the policy's object), or deny it
 * everything until `until`. `expiresAt` bounds raise/lower (default 24 h; a block expires at
 * `until`); both at most 7 days ahead. A raise is at most 10× the policy.
 */
export async function setKeyOverride(
  ref: KeyRef & { input: OverrideAction; expiresAt?: number; now?: number },
): Promise<{ policy: string; identity: string; override: Override | null }> {
  const now = ref.now ?? Date.now();
  const stub = stubOf(ref);
  const input = ref.input;
  let override: Override | null = null;
  if (input.action === "clear") {
    await stub.clearOverride();
  } else if (input.action === "block") {
    if (
      !Number.isFinite(input.until) ||
      input.until <= now ||
      input.until > now + MAX_OVERRIDE_MS
    ) {
      throw validationFailed([
        { path: "until", message: "must be a time in the future, at most 7 days ahead" },
      ]);
    }
    override = await stub.setOverride({ blockedUntil: input.until, expiresAt: input.until });
  } else {
    const raising = input.action === "raise";
    const ceiling = ref.policy.limit * MAX_RAISE_FACTOR;
    const valid =
      Number.isInteger(input.limit) &&
      input.limit >= 0 &&
      (raising
        ? input.limit > ref.policy.limit && input.limit <= ceiling
        : input.limit < ref.policy.limit);
    if (!valid) {
      const message = raising
        ? `must be an integer above the policy's ${ref.policy.limit}, at most ${ceiling}`
        : `must be an integer from 0 to below the policy's ${ref.policy.limit}`;
      throw validationFailed([{ path: "limit", message }]);
    }
    const expiresAt = ref.expiresAt ?? now + 24 * 3_600_000;
    if (!Number.isFinite(expiresAt) || expiresAt <= now || expiresAt > now + MAX_OVERRIDE_MS) {
      throw validationFailed([
        { path: "expiresAt", message: "must be a time in the future, at most 7 days ahead" },
      ]);
    }
    override = await stub.setOverride({ limit: input.limit, expiresAt });
  }
  forgetLocally(ref);
  return { policy: ref.policy.name, identity: ref.identity, override };
}

/** Puts back an override exactly as it was (or none): undoes a change whose audit failed. */
export async function putOverride(ref: KeyRef, override: Override | null): Promise<void> {
  const stub = stubOf(ref);
  if (override) await stub.setOverride(override);
  else await stub.clearOverride();
  forgetLocally(ref);
}

/** The identity of a second key (e.g. login's per-account limit) for the ops verbs. */
export async function extraKeyIdentity(name: string, value: string): Promise<string> {
  const normalized = value.trim().toLowerCase();
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normalized));
  const hex = Array.from(new Uint8Array(bytes).slice(0, 16), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  return `${name}:${hex}`;
}

function stubOf(ref: KeyRef) {
  const key = objectKeyOf(ref.policy.name, ref.identity);
  return ref.namespace.get(ref.namespace.idFromName(key));
}

function forgetLocally(ref: KeyRef) {
  const key = objectKeyOf(ref.policy.name, ref.identity);
  isolateFastState.forgetObject(key);
  isolateDenials.forgetObject(key);
}
