import type { MiddlewareHandler } from "hono";
import type { Reader } from "../../db/transaction";
import type { AppContext, AppEnv } from "../context";
import { clientAddressKey } from "../rate-limit/middleware";
import { IDEMPOTENCY_KEY_HEADER, keyInUse, keyInvalid, keyMissing, keyReused } from "./errors";
import { requestFingerprint } from "./fingerprint";
import { parseIdempotencyKey } from "./key";
import {
  type Claim,
  type ClaimOutcome,
  claimKey,
  completeStatement,
  DEFAULT_LEASE_SECONDS,
  releaseClaim,
  type StoredResponse,
  storeResponse,
} from "./store";

export const REPLAYED_HEADER = "Idempotent-Replayed";
/** The response headers a replay repeats; the rest (request id, rate limits) are per request. */
export const REPLAYED_HEADERS = [
  "content-type",
  "content-location",
  "location",
  "etag",
  "last-modified",
  "link",
] as const;
/** Methods the header applies to (the draft's non-idempotent ones); others ignore it. */
const METHODS = new Set(["POST", "PATCH"]);

/** What a service stores as its response: the status and body the route will send. */
export interface IdempotentResponse {
  status: number;
  /** JSON-encoded as `c.json` does; leave out for a response without a body. */
  body?: unknown;
  /** e.g. `{ Location: "/v1/enrolments/…" }`; Content-Type defaults to application/json. */
  headers?: Record<string, string>;
}

/** The request's claim on its key, for services (`ctx.idempotency`, src/lib/service-context.ts). */
export interface Idempotency {
  readonly key: string;
  /**
   * The statement that stores `response` as this key's result. Run it INSIDE the transaction
   * that makes the effect: `await` it in `runAs(ctx.db, …)`, or put it in the same
   * `batch([...])` on the HTTP path. The record then commits or rolls back with the effect. If
   * the claim was lost meanwhile (its lease ran out and a retry took the key), it fails the
   * transaction: 409 IDEMPOTENCY_KEY_IN_USE, no effect.
   */
  complete(db: Reader, response: IdempotentResponse): ReturnType<Reader["execute"]>;
}

export interface IdempotencyOptions {
  /** Refuse requests without the header (400 IDEMPOTENCY_KEY_MISSING): payments, refunds. */
  required?: boolean;
  /** How long a claim holds while its request runs (default 60 s): longer than the route takes. */
  leaseSeconds?: number;
}

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header, and Stripe's behaviour) for a
 * creating POST or a PATCH. Mount it after `requireAuth` (the key's scope is the verified user,
 * else the client address), e.g. in `createRoute({ middleware: [idempotency()] })`.
 *
 * - Same key, same request (method, path and query, canonical body): the stored response again,
 *   with `Idempotent-Replayed: true`. Different request: 422. First one still running: 409 with
 *   Retry-After.
 * - Records are written by the service in its own transaction (`ctx.idempotency.complete`),
 *   so an effect never commits without its record. A route whose service does not call it gets
 *   its 2xx/3xx response stored here, after the fact: best effort, not transactional.
 * - A 4xx or 5xx is never stored: the claim is released and the key may be used again.
 */
export function idempotency(opts: IdempotencyOptions = {}): MiddlewareHandler<AppEnv> {
  const leaseSeconds = opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  return async function idempotencyMiddleware(c, next) {
    if (!METHODS.has(c.req.method)) return next();
    const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (header === undefined) {
      if (opts.required) throw keyMissing();
      return next();
    }
    const parsed = parseIdempotencyKey(header);
    if (!parsed.ok) throw keyInvalid(parsed.reason);

    const url = new URL(c.req.url);
    const fingerprint = await requestFingerprint(
      c.req.method,
      url.pathname + url.search,
      await c.req.text(),
    );
    const claim: Claim = { scope: scopeOf(c), key: parsed.key, token: crypto.randomUUID() };
    const http = c.get("services").http;
    const found = await claimOrFind(() => claimKey(http, { ...claim, fingerprint, leaseSeconds }));
    if (found.outcome !== "claimed") {
      if (found.fingerprint !== fingerprint) throw keyReused();
      if (found.outcome === "in_flight" || !found.response) throw keyInUse(found.leaseLeft);
      return replay(found.response);
    }

    let pending: StoredResponse | undefined;
    c.set("idempotency", {
      key: claim.key,
      complete: (db, response) => {
        pending = toStored(response);
        return completeStatement(db, claim, pending);
      },
    });
    await next();

    const logger = c.get("services").logger;
    try {
      if (c.error || c.res.status >= 400) {
        await releaseClaim(http, claim);
        return;
      }
      const actual = await storedFrom(c.res);
      if (pending && sameResponse(pending, actual)) return;
      if (pending) {
        logger.warn("idempotency: the response differs from what the service stored", {
          status: actual.status,
        });
      }
      if (!(await storeResponse(http, claim, actual))) {
        logger.warn("idempotency: the claim was lost before the response could be stored");
      }
    } catch (err) {
      // The response stands; an unreleased claim frees itself when its lease runs out.
      logger.warn("idempotency: could not settle the key", {
        error: err instanceof Error ? err.name : "unknown",
      });
    }
  };
}

/** A concurrent first claim can commit after this statement's snapshot: look again. */
async function claimOrFind(attempt: () => Promise<ClaimOutcome | undefined>) {
  for (let i = 0; i < 3; i++) {
    const found = await attempt();
    if (found) return found;
  }
  throw keyInUse(1);
}

/** Whose key this is: never chosen by the client. */
function scopeOf(c: AppContext): string {
  const userId = c.get("principal")?.userId;
  if (userId) return `user:${userId}`;
  // CF-Connecting-IP is set by Cloudflare's edge; IPv6 by its /64 as for rate limits.
  return `ip:${clientAddressKey(c.req.header("CF-Connecting-IP"))}`;
}

function replay(stored: StoredResponse): Response {
  const headers = new Headers(stored.headers);
  headers.set(REPLAYED_HEADER, "true");
  return new Response(stored.body, { status: stored.status, headers });
}

function toStored(response: IdempotentResponse): StoredResponse {
  const headers = pickHeaders(new Headers(response.headers));
  const hasBody = response.body !== undefined;
  if (hasBody && !headers["content-type"]) headers["content-type"] = "application/json";
  return {
    status: response.status,
    headers,
    body: hasBody ? JSON.stringify(response.body) : null,
  };
}

async function storedFrom(res: Response): Promise<StoredResponse> {
  const body = res.body ? await res.clone().text() : null;
  return { status: res.status, headers: pickHeaders(res.headers), body };
}

function pickHeaders(headers: Headers): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  return (
    a.status === b.status &&
    (a.body ?? "") === (b.body ?? "") &&
    REPLAYED_HEADERS.every((name) => a.headers[name] === b.headers[name])
  );
}
