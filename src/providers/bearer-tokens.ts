/**
 * What the OAuth client-credentials adapters (Zoom, Instamojo) share: a bearer token cached per
 * isolate until shortly before it expires, one token request at a time per set of credentials,
 * and time bounds for every HTTP call of an operation. Each adapter keeps its own token
 * request and its own error type (`fail`), so no message ever names another provider.
 */

export interface CachedToken {
  token: string;
  /** Clock time after which the token is not handed out any more. */
  refreshAt: number;
}

// Per isolate: requests come and go, tokens stay. Keyed by everything that names the
// credentials (the secret included: a rotated secret must not reuse the old one's token).
const tokens = new Map<string, CachedToken>();
const tokenRequests = new Map<string, Promise<CachedToken>>();

/** Renew this long before expiry: 5 minutes, or a tenth of a shorter lifetime. */
const refreshMargin = (lifetimeMs: number) => Math.min(5 * 60_000, lifetimeMs / 10);

/** A cache entry for a token that lives `lifetimeSeconds` from `now`. */
export function cachedToken(token: string, lifetimeSeconds: number, now: number): CachedToken {
  const lifetimeMs = lifetimeSeconds * 1000;
  return { token, refreshAt: now + lifetimeMs - refreshMargin(lifetimeMs) };
}

export interface TokenSource {
  /** Names the provider and every credential (see `tokens`). */
  key: string;
  clock: () => number;
  /** One token request (the adapter's own call). */
  request: () => Promise<CachedToken>;
  /** The per-request timeout; a shared request is waited on at most this long (+1 s). */
  timeoutMs: number;
  /** The adapter's timeout error. */
  fail: (message: string) => Error;
}

/** The cached token, or one from a single request shared by every concurrent caller. */
export async function bearerToken(source: TokenSource, deadline: number): Promise<string> {
  const cached = tokens.get(source.key);
  if (cached && source.clock() < cached.refreshAt) return cached.token;
  let pending = tokenRequests.get(source.key);
  if (!pending) {
    const request = source.request();
    pending = request;
    tokenRequests.set(source.key, request);
    request.then(
      (fresh) => tokens.set(source.key, fresh),
      () => undefined,
    );
    void request
      .finally(() => {
        if (tokenRequests.get(source.key) === request) tokenRequests.delete(source.key);
      })
      .catch(() => undefined);
  }
  // A request started by another caller may belong to another request context: never wait on
  // it past this operation's own deadline.
  return (await raceDeadline(pending, deadline, source.timeoutMs, source.fail)).token;
}

/** Drops a token the provider refused (401), unless a newer one replaced it already. */
export function forgetToken(key: string, token: string) {
  if (tokens.get(key)?.token === token) tokens.delete(key);
}

function raceDeadline<T>(
  work: Promise<T>,
  deadline: number,
  timeoutMs: number,
  fail: (message: string) => Error,
): Promise<T> {
  const left = Math.min(deadline - Date.now(), timeoutMs + 1_000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail("no token within the deadline")), Math.max(0, left));
  });
  return Promise.race([work, expired]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** `fetch` bounded by the per-request timeout and what is left of the operation's deadline. */
export function fetchWithin(
  url: string,
  init: RequestInit,
  bounds: { deadline: number; timeoutMs: number; fail: (message: string) => Error },
): Promise<Response> {
  const left = bounds.deadline - Date.now();
  if (left <= 0) return Promise.reject(bounds.fail("the operation ran out of time"));
  return fetch(url, { ...init, signal: AbortSignal.timeout(Math.min(bounds.timeoutMs, left)) });
}
