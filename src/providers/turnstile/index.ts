/**
 * Cloudflare Turnstile, server side (PROVIDERS.md §4). `TurnstileVerifier` answers whether a
 * widget token is good: `invalid` is the visitor's problem (refuse the form), `unavailable`
 * is ours or Cloudflare's (network, 5xx, timeout, a wrong secret): the caller decides whether
 * to fail open or closed and should alert on it.
 */
import { DEFAULT_TIMEOUT_MS } from "../messaging/http";

export const TURNSTILE_SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/** What Cloudflare's test site keys make the widget produce (its docs, testing section). */
export const TURNSTILE_DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
export const TURNSTILE_TEST_SECRETS = {
  pass: "1x0000000000000000000000000000000AA",
  fail: "2x0000000000000000000000000000000AA",
  spent: "3x0000000000000000000000000000000AA",
} as const;
const MAX_TOKEN_LENGTH = 2048;

export interface TurnstileInput {
  token: string;
  remoteIp?: string;
  /** Lets a retried check of the same token succeed again (siteverify's idempotency_key). */
  idempotencyKey?: string;
}

export type TurnstileResult =
  | { ok: true }
  | { ok: false; reason: "invalid" | "unavailable"; codes: string[] };

export interface TurnstileVerifier {
  readonly provider: string;
  verify(input: TurnstileInput): Promise<TurnstileResult>;
}

export interface TurnstileOptions {
  secret: string;
  /** Default Cloudflare's siteverify; tests point it at the fake. */
  url?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Error codes that say our side is wrong or Cloudflare is, not the visitor. */
const OURS = new Set(["missing-input-secret", "invalid-input-secret", "internal-error"]);
const CODE = /^[a-z0-9-]{1,64}$/;

export class CloudflareTurnstileVerifier implements TurnstileVerifier {
  readonly provider = "cloudflare";
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: TurnstileOptions) {
    if (!opts.secret) throw new TypeError("CloudflareTurnstileVerifier needs a secret");
    this.url = opts.url ?? TURNSTILE_SITEVERIFY_URL;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = opts.fetch ?? ((...args) => fetch(...args));
  }

  async verify(input: TurnstileInput): Promise<TurnstileResult> {
    // Cloudflare refuses these too: no need to ask.
    if (!input.token) return { ok: false, reason: "invalid", codes: ["missing-input-response"] };
    if (input.token.length > MAX_TOKEN_LENGTH) {
      return { ok: false, reason: "invalid", codes: ["invalid-input-response"] };
    }
    const form = new URLSearchParams({ secret: this.opts.secret, response: input.token });
    if (input.remoteIp) form.set("remoteip", input.remoteIp);
    if (input.idempotencyKey) form.set("idempotency_key", input.idempotencyKey);
    let res: Response;
    let body: unknown;
    try {
      res = await this.fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = await res.json().catch(() => undefined);
    } catch (err) {
      const name = err instanceof Error ? err.name : "";
      const timedOut = name === "TimeoutError" || name === "AbortError";
      return { ok: false, reason: "unavailable", codes: [timedOut ? "timeout" : "network-error"] };
    }
    if (!res.ok) return { ok: false, reason: "unavailable", codes: [`http-${res.status}`] };
    const answer = (body ?? {}) as { success?: unknown; "error-codes"?: unknown };
    if (answer.success === true) return { ok: true };
    const codes = Array.isArray(answer["error-codes"])
      ? answer["error-codes"].filter((c): c is string => typeof c === "string" && CODE.test(c))
      : [];
    if (typeof answer.success !== "boolean") {
      return { ok: false, reason: "unavailable", codes: ["bad-response"] };
    }
    return {
      ok: false,
      reason: codes.some((c) => OURS.has(c)) ? "unavailable" : "invalid",
      codes,
    };
  }
}

/**
 * Offline stand-in for `npm run dev`: accepts only Cloudflare's dummy token, which the widget
 * yields with Cloudflare's test site keys and which no production secret accepts. So the
 * frontend must really send the widget's token (an empty or made-up one fails here as in
 * production), while nothing calls Cloudflare. Refuse it in staging and production.
 */
export class DevTurnstileVerifier implements TurnstileVerifier {
  readonly provider = "dev";
  async verify(input: TurnstileInput): Promise<TurnstileResult> {
    if (!input.token) return { ok: false, reason: "invalid", codes: ["missing-input-response"] };
    return input.token === TURNSTILE_DUMMY_TOKEN
      ? { ok: true }
      : { ok: false, reason: "invalid", codes: ["invalid-input-response"] };
  }
}

export type TurnstileConfig = { provider: "dev" } | ({ provider: "cloudflare" } & TurnstileOptions);

export function createTurnstileVerifier(config: TurnstileConfig): TurnstileVerifier {
  return config.provider === "dev"
    ? new DevTurnstileVerifier()
    : new CloudflareTurnstileVerifier(config);
}
